# The field by hand (as makemigrations writes it); the data step by hand.

from django.db import migrations, models

#: the transitions that set ``Case.public_note`` (mark_duplicate writes its own fixed text)
NOTE_ACTIONS = ("reject", "close")
BATCH = 2000


def clear_copied_public_notes(apps, schema_editor):
    """Before the Open311 hardening, ``reject`` and ``close`` copied the internal note of the
    transition into ``Case.public_note`` (close: ``note or public_note``). Since then the public note
    is only what staff write on purpose (``params.public_note``), and the transition's event records
    it in ``data["public_note"]``. So a public note is kept when the last reject/close event of its
    case records the same text, or when it is mark_duplicate's own ``duplicate of #N``; every other
    public note is a copy of an internal note and is cleared. The internal note itself stays in the
    timeline (``CaseEvent.note``): nothing is lost."""
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    noted = Case.objects.exclude(public_note="").order_by("pk").values_list("pk", "public_note", "duplicate_of_id")
    last_pk = 0
    while True:  # in pages of primary keys (no open cursor over the rows being updated)
        batch = list(noted.filter(pk__gt=last_pk)[:BATCH])
        if not batch:
            return
        last_pk = batch[-1][0]
        ids = [pk for pk, _, _ in batch]
        last: dict[int, dict] = {}
        for case_id, data in (CaseEvent.objects.filter(case_id__in=ids, action__in=NOTE_ACTIONS)
                              .order_by("at", "id").values_list("case_id", "data")):
            last[case_id] = data if isinstance(data, dict) else {}
        copied = [pk for pk, note, duplicate_of in batch
                  if not (duplicate_of is not None and note == f"duplicate of #{duplicate_of}")
                  and last.get(pk, {}).get("public_note") != note]
        if copied:
            Case.objects.filter(pk__in=copied).update(public_note="")


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_next_escalation")]

    operations = [
        migrations.AddField(
            model_name="category",
            name="publish_staff_reports",
            field=models.BooleanField(
                default=False,
                help_text="Open311 also lists the cases staff entered in this category (address as the grid, "
                          "coordinates rounded, no description, no photo)",
                verbose_name="public: staff reports too"),
        ),
        # not reversible in content: the cleared texts were copies of internal notes, which stay in
        # the timeline; putting them back would publish them again. Backwards it changes nothing.
        migrations.RunPython(clear_copied_public_notes, migrations.RunPython.noop),
    ]
