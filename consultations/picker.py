"""The client picker: a text field that searches clients as you type and
offers rich suggestions (static/js/client_picker.js, an ARIA 1.2 combobox),
so that two women of the same name are told apart before one is picked.

The field still posts a client code, so the form works without JavaScript; the
server says plainly when what was posted is a name and not a code.

Two endpoints feed it, each with what its users may see:
``consultations:client_lookup`` (counsellors: code, display name, kana, age
band, last contact) and ``shelter:client_lookup`` (coordinators: code, display
name, kana, age band, last stay). Neither ever returns contact details.
"""

from __future__ import annotations

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import jpdates

from .models import Client

_CODE = re.compile(r"[A-Z]{1,3}-?\d{1,12}")


def looks_like_code(text: str) -> bool:
    """True for what can be a client code (C-000123, c000123, Ｃ－０００１２３):
    anything else typed in the field is a name that was not picked."""
    folded = unicodedata.normalize("NFKC", text or "").strip().upper()
    return bool(_CODE.fullmatch(folded.replace("−", "-").replace("ー", "-")))


def unknown_client(text: str) -> ValidationError:
    """The form error for a client field whose text finds no client."""
    if looks_like_code(text):
        return ValidationError(
            gettext_lazy("No client has the code %(code)s."),
            code="unknown_client",
            params={"code": unicodedata.normalize("NFKC", text).strip().upper()},
        )
    return ValidationError(
        gettext_lazy(
            "“%(text)s” is not a client code. Type part of her name, kana or "
            "code, then pick her in the list that opens."
        ),
        code="client_not_picked",
        params={"text": text[:40]},
    )


def picker_rows(rows: list[dict], *, date_key: str, date_label: str) -> list[dict]:
    """Selector rows as the picker's JSON: texts ready to show (the age band's
    label, the date as lists show it), plus the ISO date."""
    bands = dict(Client.AgeBand.choices)
    found = []
    for row in rows:
        day = row.get(date_key)
        item = {
            "code": row["code"],
            "display_name": row["display_name"],
            "kana": row.get("kana", ""),
            "age_band": str(bands.get(row.get("age_band") or "", "")),
            "date": day.isoformat() if day else "",
            "date_text": (date_label % {"date": jpdates.on_screen(day)}) if day else "",
        }
        if "has_consultations" in row:
            item["has_consultations"] = row["has_consultations"]
        found.append(item)
    return found


def last_contact_label() -> str:
    return _("last contact %(date)s")


def last_stay_label() -> str:
    return _("last stay %(date)s")


class ClientPickerWidget(forms.TextInput):
    """The text input of a client field as a combobox: ``lookup`` is the URL
    name of the endpoint that searches (it decides what the user may see)."""

    template_name = "consultations/widgets/client_picker.html"

    def __init__(self, lookup: str, attrs=None):
        self.lookup = lookup
        base = {
            "autocomplete": "off",
            "spellcheck": "false",
            "placeholder": gettext_lazy("Name, kana or code"),
        }
        super().__init__(attrs={**base, **(attrs or {})})

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.lookup = self.lookup
        return copy

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        base_id = widget_attrs.get("id") or f"id_{name}"
        ids = {
            "listbox": f"{base_id}-listbox",
            "chosen": f"{base_id}-chosen",
            "problem": f"{base_id}-problem",
        }
        described = widget_attrs.get("aria-describedby", "").split()
        widget_attrs.update(
            {
                "role": "combobox",
                "aria-autocomplete": "list",
                "aria-expanded": "false",
                "aria-controls": ids["listbox"],
                "aria-describedby": " ".join(
                    [*described, ids["chosen"], ids["problem"]]
                ),
                "data-client-picker": "",
                "data-lookup": reverse(self.lookup),
            }
        )
        context["picker"] = ids
        return context
