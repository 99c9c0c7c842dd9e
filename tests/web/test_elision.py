"""French elision before a name filled into a message, in Python and in templates, and
nowhere else."""

from __future__ import annotations

from markupsafe import Markup

from smartnode.web.elision import elide
from smartnode.web.i18n import gettext, using
from tests.conftest import make_member


def test_de_and_que_are_elided_before_a_vowel_only_in_french() -> None:
    assert elide("fr", "À propos de Anna", {"name": "Anna"}) == "À propos d’Anna"
    assert elide("fr", "De Élise, que Olivier aime", {"a": "Élise", "b": "Olivier"}) == (
        "D’Élise, qu’Olivier aime"
    )
    assert elide("fr", "À propos de Karin", {"name": "Karin"}) == "À propos de Karin"
    assert elide("fr", "Photo de Hugo", {"name": "Hugo"}) == "Photo de Hugo"
    assert elide("fr", "de avance de Anna", {"name": "Anna"}) == "de avance d’Anna"
    assert elide("it", "Informazioni su di Anna", {"name": "Anna"}) == "Informazioni su di Anna"
    escaped = elide("fr", Markup("À propos de %(n)s") % {"n": "Ève <b>"}, {"n": "Ève <b>"})
    assert isinstance(escaped, Markup) and escaped == Markup("À propos d’Ève &lt;b&gt;")


def test_python_messages_are_elided() -> None:
    with using("fr"):
        assert gettext("About %(name)s", name="Anna") == "À propos d’Anna"
        assert gettext("About %(name)s", name="Sven") == "À propos de Sven"
    with using("en"):
        assert gettext("About %(name)s", name="Anna") == "About Anna"


async def test_a_french_member_page_elides(client, db, settings) -> None:
    await make_member(db, settings, "anna", name="Anna Lind", summary="<p>Bassist</p>")
    page = await client.get("/members/anna", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    assert "À propos d’Anna Lind" in page.text and "de Anna" not in page.text
