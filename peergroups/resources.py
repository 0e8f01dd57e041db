"""Import of peer-support sessions (SPEC §3, kind ``peer_sessions``):
日付, 終了日 (multi-day sessions only), グループ, 参加者数 (anonymous head count),
テーマ. An unknown group name creates the group. An imported session has no
named attendees, so 参加者数 is all its participants."""

from __future__ import annotations

from django.utils.translation import gettext as _

from consultations.resources import (
    RowImportResource,
    cell_text,
    parse_count_cell,
    parse_date_cell,
)

from .models import MAX_HEAD_COUNT, Group, Session

GROUP_NAME_MAX = Group._meta.get_field("name").max_length


class PeerSessionResource(RowImportResource):
    required_columns = ("日付", "グループ", "参加者数")
    column_fields = {
        "日付": "date",
        "終了日": "end_date",
        "グループ": "group",
        "参加者数": "anonymous_count",
        "テーマ": "theme",
        "事業": "programme",
    }

    class Meta:
        model = Session
        fields = ("id",)
        import_id_fields = ()
        skip_diff = True
        clean_model_instances = True

    def before_import(self, dataset, **kwargs):
        """Load the groups named in the file and create the unknown ones (two
        queries; rolled back with the rest if the import is)."""
        names = {
            cell_text(name)
            for name in (dataset["グループ"] if "グループ" in dataset.headers else [])
        }
        names = {n for n in names if n and len(n) <= GROUP_NAME_MAX}
        self.groups = {g.name: g for g in Group.objects.filter(name__in=names)}
        missing = sorted(names - set(self.groups))
        if missing:
            Group.objects.bulk_create(Group(name=name) for name in missing)
            self.groups = {g.name: g for g in Group.objects.filter(name__in=names)}
        self.created_groups = missing

    def fill(self, instance, row, errors):
        instance.date = errors.read("日付", parse_date_cell, row.get("日付"))
        if cell_text(row.get("終了日")):
            instance.end_date = errors.read(
                "終了日", parse_date_cell, row.get("終了日")
            )
        name = cell_text(row.get("グループ"))
        if not name:
            errors.add("グループ", _("required"))
        elif len(name) > GROUP_NAME_MAX:
            errors.add(
                "グループ",
                _("at most %(max)d characters") % {"max": GROUP_NAME_MAX},
            )
        else:
            instance.group = self.groups[name]
        count = errors.read(
            "参加者数", parse_count_cell, row.get("参加者数"), maximum=MAX_HEAD_COUNT
        )
        if count is not None:
            instance.anonymous_count = count
        instance.theme = cell_text(row.get("テーマ"))
