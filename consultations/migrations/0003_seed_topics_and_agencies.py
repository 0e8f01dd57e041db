"""Master data named in SPEC §2 and the two seed reports: consultation topics
(主訴) and the kinds of partner agency (連携団体) the programmes work with.
Admins edit both in the Django admin."""

from django.db import migrations

TOPICS = ["DV", "生活困窮", "就労", "子育て", "住まい", "心身の健康", "孤立・孤独", "その他"]
AGENCIES = [
    ("市役所 福祉課", "city_office"),
    ("市役所 子育て支援課", "city_office"),
    ("市役所 市民課", "city_office"),
    ("ハローワーク", "hello_work"),
    ("社会福祉協議会", "social_welfare_council"),
    ("保健福祉事務所", "health_office"),
    ("警察署", "police"),
    ("医療機関", "medical"),
    ("子ども食堂運営団体", "npo"),
]


def seed(apps, schema_editor):
    PartnerAgency = apps.get_model("consultations", "PartnerAgency")
    try:
        Topic = apps.get_model("consultations", "Topic")
    except LookupError:
        pass  # called with today's models (tests re-seeding): topics are gone (0020)
    else:
        for order, name in enumerate(TOPICS, start=1):
            Topic.objects.get_or_create(name=name, defaults={"order": order})
    for name, category in AGENCIES:
        PartnerAgency.objects.get_or_create(name=name, defaults={"category": category})


def unseed(apps, schema_editor):
    apps.get_model("consultations", "Topic").objects.filter(name__in=TOPICS).delete()
    apps.get_model("consultations", "PartnerAgency").objects.filter(
        name__in=[n for n, _ in AGENCIES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("consultations", "0002_consultations_support")]
    operations = [migrations.RunPython(seed, unseed)]
