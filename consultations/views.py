from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import CreateView, DetailView, TemplateView, UpdateView

from accounts.audit import AuditedObjectMixin
from accounts.roles import Role, RoleRequiredMixin

from . import selectors, services
from .forms import ClientForm, ClientSearchForm
from .models import Client


class CounsellorMixin(RoleRequiredMixin):
    roles = (Role.COUNSELLOR,)


class ClientListView(CounsellorMixin, TemplateView):
    template_name = "consultations/client_list.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = ClientSearchForm(self.request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        clients = selectors.client_list(
            fetched_by=self.request.user,
            query=filters.get("q", ""),
            status=filters.get("status", ""),
        )
        context["form"] = form
        context["page"] = Paginator(clients, self.paginate_by).get_page(
            self.request.GET.get("page")
        )
        return context


class ClientDetailView(CounsellorMixin, AuditedObjectMixin, DetailView):
    model = Client
    template_name = "consultations/client_detail.html"

    def get_queryset(self):
        return Client.objects.select_related("assigned_counsellor")


class ClientCreateView(CounsellorMixin, CreateView):
    model = Client
    form_class = ClientForm
    template_name = "consultations/client_form.html"

    def form_valid(self, form):
        client = services.client_create(by=self.request.user, **form.cleaned_data)
        messages.success(
            self.request, _("Client %(code)s was created.") % {"code": client.code}
        )
        return redirect(client)


class ClientUpdateView(CounsellorMixin, AuditedObjectMixin, UpdateView):
    model = Client
    form_class = ClientForm
    template_name = "consultations/client_form.html"

    def form_valid(self, form):
        client = services.client_update(
            client=self.object,
            by=self.request.user,
            **{name: form.cleaned_data[name] for name in form.changed_data},
        )
        messages.success(
            self.request, _("Client %(code)s was saved.") % {"code": client.code}
        )
        return redirect(client)
