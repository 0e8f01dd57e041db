import factory
from django.contrib.auth.models import Group

from accounts.models import User
from accounts.scoping import DEFAULT_ORGANISATION_NAME
from consultations.models import Client
from consultations.search import normalise


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("test-password-123")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))

    @factory.post_generation
    def organisations(self, create, extracted, **kwargs):
        """A member of the given organisations; by default of the test
        database's one organisation (made if there is none yet)."""
        if not create:
            return
        if extracted is None:
            extracted = [default_organisation()]
        self.organisations.set(extracted)


def default_organisation():
    """The organisation records made without one go to (accounts.scoping):
    the only one there is, made on first use."""
    from accounts.models import Organisation

    org = Organisation.objects.order_by("pk").first()
    return org or Organisation.objects.create(name=DEFAULT_ORGANISATION_NAME)


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    code = factory.Sequence(lambda n: f"T-{n:06d}")
    display_name = factory.Sequence(lambda n: f"テスト 花子{n}")
    kana = "てすと はなこ"
    search_text = factory.LazyAttribute(
        lambda o: normalise(f"{o.code}{o.display_name}")
    )
