"""主訴 and その他の問題 (issue 20): the list of complaints of the women's
consultation statistics (consultations.complaints) replaces the topics.

Each consultation's topics are carried over with LEGACY_TOPICS: its first
topic (in the old list's order) becomes its main complaint, the others its
other problems (a topic that maps to the main complaint's code is not
repeated). A consultation without a topic gets 不明 (unknown). Then the topics
and their table go. Going back gives each consultation the old topics its
complaints came from (the first topic of each code).
"""

import django.db.models.deletion
from django.db import migrations, models

# The list and the mapping as they were when this migration was written,
# copied from consultations/complaints.py so that this migration does not
# change when that module does.
UNKNOWN = "unknown"
OTHER = "other"

# (code, label) in the order of the statistics tables.
SEED = [
    ("spouse_violence", "夫等からの暴力"),
    ("family_violence", "子・親・親族からの暴力"),
    ("partner_violence", "交際相手等からの暴力"),
    ("sexual_violence", "性暴力"),
    ("stalking", "ストーカー被害"),
    ("divorce", "離婚問題"),
    ("family_problems", "子・親・親族の問題"),
    ("housing", "住居問題"),
    ("economic", "経済関係"),
    ("medical", "医療関係"),
    ("mental", "精神的問題"),
    ("relationships", "人間関係"),
    ("pregnancy", "妊娠・出産"),
    (OTHER, "その他"),
    (UNKNOWN, "不明"),
]
INACTIVE = {UNKNOWN}

# The old topics (migration 0003) and the complaint each one becomes. A
# consultation's first topic (in the old list's order) becomes its main
# complaint, the others its other problems.
LEGACY_TOPICS = {
    "DV": "spouse_violence",
    "生活困窮": "economic",
    "就労": "economic",
    "子育て": "family_problems",
    "住まい": "housing",
    "心身の健康": "medical",
    "孤立・孤独": "relationships",
    "その他": OTHER,
}
LEGACY_ORDER = list(LEGACY_TOPICS)



def main_and_others(codes: list[str]) -> tuple[str | None, list[str]]:
    """The first code as the main complaint, the rest (without it and without
    repeats, in order) as other problems."""
    if not codes:
        return None, []
    main = codes[0]
    others = []
    for code in codes[1:]:
        if code != main and code not in others:
            others.append(code)
    return main, others


OTHER_PROBLEMS = "consultations_consultation_other_problems"
# Row-level security of the new many-to-many table, through its consultation
# (accounts.rls.THROUGH_PARENT holds the same), written here so the
# migration does not change when that module does.
THROUGH = {OTHER_PROBLEMS: ("consultation_id", "consultations_consultation")}


def seed(apps, schema_editor):
    Complaint = apps.get_model("consultations", "Complaint")
    for order, (code, label) in enumerate(SEED, start=1):
        Complaint.objects.get_or_create(
            code=code,
            defaults={"label": label, "order": order, "active": code not in INACTIVE},
        )


def topics_to_complaints(apps, schema_editor):
    Consultation = apps.get_model("consultations", "Consultation")
    Through = Consultation.topics.through
    OtherThrough = Consultation.other_problems.through
    rank = {name: n for n, name in enumerate(LEGACY_ORDER)}
    topics_of: dict[int, list[str]] = {}
    for consultation_id, name in (
        Through.objects.values_list("consultation_id", "topic__name")
        .order_by("consultation_id", "topic__order", "topic_id")
        .iterator(chunk_size=5000)
    ):
        topics_of.setdefault(consultation_id, []).append(name)
    by_main: dict[str, list[int]] = {}
    others = []
    for consultation_id, names in topics_of.items():
        # Known topics first, in the old list's order; a topic an admin
        # added (not in the old list) counts as その他.
        names.sort(key=lambda n: (rank.get(n, len(rank)), n))
        codes = [LEGACY_TOPICS.get(n, "other") for n in names]
        main, rest = main_and_others(codes)
        by_main.setdefault(main, []).append(consultation_id)
        others += [(consultation_id, code) for code in rest]
    for code, ids in by_main.items():
        for start in range(0, len(ids), 5000):
            Consultation.objects.filter(pk__in=ids[start : start + 5000]).update(
                main_complaint_id=code
            )
    Consultation.objects.filter(main_complaint__isnull=True).update(
        main_complaint_id=UNKNOWN
    )
    pk_of = dict(
        apps.get_model("consultations", "Complaint").objects.values_list("code", "pk")
    )
    OtherThrough.objects.bulk_create(
        (
            OtherThrough(consultation_id=c, complaint_id=pk_of[code])
            for c, code in others
        ),
        batch_size=5000,
    )


def complaints_to_topics(apps, schema_editor):
    """Back: each complaint that came from a topic gives that topic back (the
    first topic of its code), main complaint and other problems alike."""
    Consultation = apps.get_model("consultations", "Consultation")
    Topic = apps.get_model("consultations", "Topic")
    Through = Consultation.topics.through
    for order, name in enumerate(LEGACY_ORDER, start=1):
        Topic.objects.get_or_create(name=name, defaults={"order": order})
    topic_of = {}
    for name, code in LEGACY_TOPICS.items():
        topic_of.setdefault(code, Topic.objects.get(name=name).pk)
    rows = set()
    for pk, code in Consultation.objects.values_list("pk", "main_complaint_id"):
        if code in topic_of:
            rows.add((pk, topic_of[code]))
    for pk, code in Consultation.other_problems.through.objects.values_list(
        "consultation_id", "complaint__code"
    ):
        if code in topic_of:
            rows.add((pk, topic_of[code]))
    Through.objects.bulk_create(
        (Through(consultation_id=c, topic_id=t) for c, t in sorted(rows)),
        batch_size=5000,
    )


def rls_on(apps, schema_editor):
    from accounts import rls

    if schema_editor.connection.vendor != "postgresql":
        return
    for table in THROUGH:
        for sql in rls.enable_sql(table, THROUGH):
            schema_editor.execute(sql)


def rls_off(apps, schema_editor):
    from accounts import rls

    if schema_editor.connection.vendor != "postgresql":
        return
    for table in THROUGH:
        for sql in rls.disable_sql(table):
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("consultations", "0021_meetings")]

    operations = [
        migrations.CreateModel(
            name="Complaint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "code",
                    models.SlugField(max_length=30, unique=True, verbose_name="code"),
                ),
                (
                    "label",
                    models.CharField(max_length=50, unique=True, verbose_name="label"),
                ),
                (
                    "order",
                    models.PositiveSmallIntegerField(default=0, verbose_name="order"),
                ),
                (
                    "active",
                    models.BooleanField(
                        default=True,
                        help_text="Offered when a consultation is recorded.",
                        verbose_name="active",
                    ),
                ),
            ],
            options={
                "verbose_name": "complaint",
                "verbose_name_plural": "complaints",
                "ordering": ["order", "code"],
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.AddField(
            model_name="consultation",
            name="main_complaint",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="main_of",
                to="consultations.complaint",
                to_field="code",
                verbose_name="main complaint",
            ),
        ),
        migrations.AddField(
            model_name="consultation",
            name="other_problems",
            field=models.ManyToManyField(
                blank=True,
                related_name="other_of",
                to="consultations.complaint",
                verbose_name="other problems",
            ),
        ),
        migrations.RunPython(topics_to_complaints, complaints_to_topics),
        migrations.AlterField(
            model_name="consultation",
            name="main_complaint",
            field=models.ForeignKey(
                default="unknown",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="main_of",
                to="consultations.complaint",
                to_field="code",
                verbose_name="main complaint",
            ),
        ),
        migrations.RemoveField(model_name="consultation", name="topics"),
        migrations.DeleteModel(name="Topic"),
        migrations.RunPython(rls_on, rls_off),
    ]
