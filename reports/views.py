"""Browser imports (upload, preview with the errors of each row, confirm) for
every kind of SPEC §3, each open to the role that owns its records."""

from __future__ import annotations

import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import has_role

from .imports import KINDS, ImportFileError, kinds_for, read_dataset, run_import

PREVIEW_ROWS = 200
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"))
    file = forms.FileField(
        label=gettext_lazy("File (.csv in UTF-8, or .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.name, k.label) for k in kinds_for(user)]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


def _upload_dir() -> Path:
    path = Path(settings.IMPORT_UPLOAD_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _stash(request, kind: str, name: str, content: bytes) -> str:
    """Keep the checked file on the server until the user confirms (the file
    may hold personal data: it never goes back to the browser)."""
    token = uuid.uuid4().hex
    (_upload_dir() / token).write_bytes(content)
    request.session["import_upload"] = {"token": token, "kind": kind, "name": name}
    return token


def _unstash(request, token: str):
    pending = request.session.get("import_upload")
    if not pending or pending["token"] != token:
        return None
    path = _upload_dir() / pending["token"]
    if not path.exists():
        return None
    return pending, path


def import_view(request):
    """Step 1 (GET/POST with a file): check the file, show the preview.
    Step 2 (POST confirm): import the checked file."""
    if not kinds_for(request.user):
        raise PermissionDenied
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request)
    if request.method == "POST" and "cancel" in request.POST:
        found = _unstash(request, request.POST.get("token", ""))
        if found:
            found[1].unlink(missing_ok=True)
            request.session.pop("import_upload", None)
        messages.info(request, _("The import was cancelled; nothing was written."))
        return redirect("reports:import")
    initial_kind = request.GET.get("kind", "")
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        initial={"kind": initial_kind},
    )
    context = {"form": form, "kinds": kinds_for(request.user)}
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        upload = form.cleaned_data["file"]
        content = upload.read()
        try:
            dataset = read_dataset(upload.name, content)
            outcome = run_import(
                kind, dataset, by=request.user, dry_run=True, preview_rows=PREVIEW_ROWS
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            context.update(
                outcome=outcome,
                kind=KINDS[kind],
                filename=upload.name,
                more_rows=max(0, outcome.total_rows - PREVIEW_ROWS),
            )
            if outcome.ok:
                context["token"] = _stash(request, kind, upload.name, content)
    return render(request, "reports/import.html", context)


def _confirm(request):
    found = _unstash(request, request.POST.get("token", ""))
    if found is None:
        messages.error(request, _("The checked file has expired. Upload it again."))
        return redirect("reports:import")
    pending, path = found
    kind = KINDS[pending["kind"]]
    if not has_role(request.user, *kind.roles):
        raise PermissionDenied
    try:
        dataset = read_dataset(pending["name"], path.read_bytes())
        outcome = run_import(kind.name, dataset, by=request.user, dry_run=False)
    except ImportFileError as exc:
        messages.error(request, str(exc))
        return redirect("reports:import")
    finally:
        path.unlink(missing_ok=True)
        request.session.pop("import_upload", None)
    if not outcome.ok:
        # The data changed between preview and confirm (e.g. a user was removed).
        messages.error(
            request,
            _(
                "The file no longer imports cleanly; nothing was "
                "written. Check it again."
            ),
        )
        return redirect("reports:import")
    messages.success(
        request,
        _("%(count)d rows of %(kind)s were imported.")
        % {"count": outcome.written, "kind": kind.label},
    )
    return redirect("reports:import")
