"""Urgency assessments, support plans with their tasks, and closure requests
(issue 19), each table under row-level security from the start
(accounts.rls: a no-op on SQLite)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import accounts.scoping
from accounts.migration_ops import row_level_security

TABLES = (
    "consultations_urgencyassessment",
    "consultations_supportplan",
    "consultations_plantask",
    "consultations_closurerequest",
)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_row_level_security"),
        ("consultations", "0017_indexes_hold_the_organisation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SupportPlan",
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
                    "version",
                    models.PositiveIntegerField(editable=False, verbose_name="version"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("approved", "Approved"),
                            ("superseded", "Superseded"),
                        ],
                        default="draft",
                        editable=False,
                        max_length=12,
                        verbose_name="status",
                    ),
                ),
                (
                    "wishes",
                    models.TextField(
                        help_text="Write what she said, as she said it.",
                        verbose_name="her wishes, in her own words",
                    ),
                ),
                ("goals", models.TextField(verbose_name="goals")),
                ("review_on", models.DateField(verbose_name="review date")),
                (
                    "created_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="created"),
                ),
                (
                    "approved_at",
                    models.DateTimeField(
                        blank=True,
                        editable=False,
                        null=True,
                        verbose_name="approved at",
                    ),
                ),
                (
                    "approved_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="approved by",
                    ),
                ),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="support_plans",
                        to="consultations.client",
                        verbose_name="client",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="written by",
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organisation",
                        verbose_name="organisation",
                    ),
                ),
            ],
            options={
                "verbose_name": "support plan",
                "verbose_name_plural": "support plans",
                "ordering": ["client", "-version"],
            },
            bases=(accounts.scoping.FillsOrganisation, models.Model),
        ),
        migrations.CreateModel(
            name="PlanTask",
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
                ("description", models.CharField(max_length=300, verbose_name="task")),
                ("due_on", models.DateField(verbose_name="due date")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "Open"),
                            ("done", "Done"),
                            ("dropped", "Dropped"),
                        ],
                        default="open",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "status_changed_at",
                    models.DateTimeField(
                        blank=True,
                        editable=False,
                        null=True,
                        verbose_name="status changed at",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="created"),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organisation",
                        verbose_name="organisation",
                    ),
                ),
                (
                    "owner_agency",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="plan_tasks",
                        to="consultations.partneragency",
                        verbose_name="partner agency",
                    ),
                ),
                (
                    "owner_staff",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="plan_tasks",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="member of staff",
                    ),
                ),
                (
                    "status_changed_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="status changed by",
                    ),
                ),
                (
                    "plan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tasks",
                        to="consultations.supportplan",
                        verbose_name="support plan",
                    ),
                ),
            ],
            options={
                "verbose_name": "plan task",
                "verbose_name_plural": "plan tasks",
                "ordering": ["due_on", "id"],
            },
            bases=(accounts.scoping.FillsOrganisation, models.Model),
        ),
        migrations.CreateModel(
            name="UrgencyAssessment",
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
                    "assessed_on",
                    models.DateField(verbose_name="date of the assessment"),
                ),
                (
                    "violence",
                    models.CharField(
                        choices=[
                            ("none", "None"),
                            ("some", "Some"),
                            ("severe", "Severe"),
                        ],
                        max_length=10,
                        verbose_name="danger of violence",
                    ),
                ),
                (
                    "abuser_knows",
                    models.CharField(
                        choices=[("yes", "Yes"), ("no", "No"), ("unknown", "Unknown")],
                        max_length=10,
                        verbose_name="the abuser knows where she is",
                    ),
                ),
                (
                    "children",
                    models.CharField(
                        choices=[
                            ("yes", "Yes"),
                            ("no", "No"),
                            ("no_children", "No children"),
                        ],
                        max_length=12,
                        verbose_name="children at risk",
                    ),
                ),
                (
                    "suicide",
                    models.CharField(
                        choices=[
                            ("none", "None"),
                            ("thoughts", "Thoughts"),
                            ("plan", "A plan"),
                        ],
                        max_length=10,
                        verbose_name="thoughts of suicide",
                    ),
                ),
                (
                    "housing",
                    models.CharField(
                        choices=[
                            ("safe", "Safe"),
                            ("unsure", "Unsure"),
                            ("none_tonight", "No place tonight"),
                        ],
                        max_length=12,
                        verbose_name="housing today and tonight",
                    ),
                ),
                (
                    "money",
                    models.CharField(
                        choices=[
                            ("enough", "Enough"),
                            ("short", "Short"),
                            ("none", "None"),
                        ],
                        max_length=10,
                        verbose_name="money for the next days",
                    ),
                ),
                (
                    "health",
                    models.CharField(
                        choices=[
                            ("ok", "OK"),
                            ("needs_care", "Needs care"),
                            ("urgent", "Urgent"),
                        ],
                        max_length=12,
                        verbose_name="health",
                    ),
                ),
                (
                    "suggested",
                    models.CharField(
                        choices=[
                            ("high", "High"),
                            ("medium", "Medium"),
                            ("low", "Low"),
                        ],
                        max_length=10,
                        verbose_name="suggested level",
                    ),
                ),
                (
                    "chosen",
                    models.CharField(
                        choices=[
                            ("high", "High"),
                            ("medium", "Medium"),
                            ("low", "Low"),
                        ],
                        max_length=10,
                        verbose_name="chosen level",
                    ),
                ),
                (
                    "reason",
                    models.TextField(
                        blank=True, verbose_name="reason for another level"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="created"),
                ),
                (
                    "assessed_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="assessed by",
                    ),
                ),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assessments",
                        to="consultations.client",
                        verbose_name="client",
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organisation",
                        verbose_name="organisation",
                    ),
                ),
            ],
            options={
                "verbose_name": "urgency assessment",
                "verbose_name_plural": "urgency assessments",
                "ordering": ["-assessed_on", "-id"],
            },
            bases=(accounts.scoping.FillsOrganisation, models.Model),
        ),
        migrations.CreateModel(
            name="ClosureRequest",
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
                    "reason",
                    models.CharField(
                        choices=[
                            ("resolved", "Resolved"),
                            ("referred", "Referred elsewhere"),
                            ("moved_away", "Moved away"),
                            ("lost_contact", "Lost contact"),
                            ("other", "Other"),
                        ],
                        max_length=20,
                        verbose_name="closure reason",
                    ),
                ),
                ("note", models.TextField(blank=True, verbose_name="note")),
                (
                    "requested_at",
                    models.DateTimeField(
                        auto_now_add=True, verbose_name="requested at"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Awaiting approval"),
                            ("approved", "Approved"),
                            ("declined", "Declined"),
                        ],
                        default="pending",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "decided_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="decided at"
                    ),
                ),
                (
                    "decision_note",
                    models.TextField(blank=True, verbose_name="supervisor's note"),
                ),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="closure_requests",
                        to="consultations.client",
                        verbose_name="client",
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="decided by",
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organisation",
                        verbose_name="organisation",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="requested by",
                    ),
                ),
            ],
            options={
                "verbose_name": "closure request",
                "verbose_name_plural": "closure requests",
                "ordering": ["-requested_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status", "pending")),
                        fields=("client",),
                        name="closure_request_one_pending",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("status__in", ["pending", "approved", "declined"])
                        ),
                        name="closure_request_status_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            (
                                "reason__in",
                                [
                                    "resolved",
                                    "referred",
                                    "moved_away",
                                    "lost_contact",
                                    "other",
                                ],
                            )
                        ),
                        name="closure_request_reason_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("decided_by__isnull", True),
                            models.Q(
                                ("decided_by", models.F("requested_by")), _negated=True
                            ),
                            _connector="OR",
                        ),
                        name="closure_request_decider_not_requester",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("decided_at__isnull", True),
                                ("decided_by__isnull", True),
                                ("status", "pending"),
                            ),
                            models.Q(
                                ("status__in", ["approved", "declined"]),
                                ("decided_at__isnull", False),
                                ("decided_by__isnull", False),
                            ),
                            _connector="OR",
                        ),
                        name="closure_request_decision_recorded",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "declined"), _negated=True),
                            models.Q(("decision_note", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="closure_request_decline_has_note",
                    ),
                ],
            },
            bases=(accounts.scoping.FillsOrganisation, models.Model),
        ),
        migrations.AddIndex(
            model_name="supportplan",
            index=models.Index(
                condition=models.Q(("status", "approved")),
                fields=["review_on", "organisation"],
                name="support_plan_review_org",
            ),
        ),
        migrations.AddConstraint(
            model_name="supportplan",
            constraint=models.UniqueConstraint(
                fields=("client", "version"), name="support_plan_version_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="supportplan",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "approved")),
                fields=("client",),
                name="support_plan_one_approved",
            ),
        ),
        migrations.AddConstraint(
            model_name="supportplan",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "draft")),
                fields=("client",),
                name="support_plan_one_draft",
            ),
        ),
        migrations.AddConstraint(
            model_name="supportplan",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["draft", "approved", "superseded"])),
                name="support_plan_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="supportplan",
            constraint=models.CheckConstraint(
                condition=models.Q(("version__gte", 1)),
                name="support_plan_version_positive",
            ),
        ),
        migrations.AddConstraint(
            model_name="supportplan",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("approved_by__isnull", True),
                    models.Q(("approved_by", models.F("created_by")), _negated=True),
                    _connector="OR",
                ),
                name="support_plan_approver_not_author",
            ),
        ),
        migrations.AddConstraint(
            model_name="supportplan",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("approved_at__isnull", True),
                        ("approved_by__isnull", True),
                        ("status", "draft"),
                    ),
                    models.Q(
                        ("status__in", ["approved", "superseded"]),
                        ("approved_at__isnull", False),
                        ("approved_by__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="support_plan_approval_recorded",
            ),
        ),
        migrations.AddIndex(
            model_name="plantask",
            index=models.Index(
                condition=models.Q(("status", "open")),
                fields=["due_on", "organisation"],
                name="plan_task_open_due_org",
            ),
        ),
        migrations.AddConstraint(
            model_name="plantask",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("owner_agency__isnull", True), ("owner_staff__isnull", False)
                    ),
                    models.Q(
                        ("owner_agency__isnull", False), ("owner_staff__isnull", True)
                    ),
                    _connector="OR",
                ),
                name="plan_task_one_owner",
            ),
        ),
        migrations.AddConstraint(
            model_name="plantask",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["open", "done", "dropped"])),
                name="plan_task_status_valid",
            ),
        ),
        migrations.AddIndex(
            model_name="urgencyassessment",
            index=models.Index(
                fields=["client", "assessed_on", "organisation"],
                name="assessment_client_day_org",
            ),
        ),
        migrations.AddConstraint(
            model_name="urgencyassessment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("violence__in", ["none", "some", "severe"]),
                    ("abuser_knows__in", ["yes", "no", "unknown"]),
                    ("children__in", ["yes", "no", "no_children"]),
                    ("suicide__in", ["none", "thoughts", "plan"]),
                    ("housing__in", ["safe", "unsure", "none_tonight"]),
                    ("money__in", ["enough", "short", "none"]),
                    ("health__in", ["ok", "needs_care", "urgent"]),
                ),
                name="assessment_answers_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="urgencyassessment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("suggested__in", ["high", "medium", "low"]),
                    ("chosen__in", ["high", "medium", "low"]),
                ),
                name="assessment_levels_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="urgencyassessment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("chosen", models.F("suggested")),
                    models.Q(("reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="assessment_other_level_has_reason",
            ),
        ),
        row_level_security(*TABLES),
    ]
