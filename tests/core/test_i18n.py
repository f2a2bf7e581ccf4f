"""The UI is Chinese first: every catalogue is fully translated and its .mo is up to date."""

from pathlib import Path

import polib
import pytest

import gridgov

CATALOGUES = sorted(Path(gridgov.__file__).parent.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))


def test_there_is_a_project_catalogue():
    assert any(p.parts[-5] == "gridgov" for p in CATALOGUES)


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.parent.parent.parent.parent.name))
def test_catalogue_is_complete_and_compiled(po_path, tmp_path):
    po = polib.pofile(str(po_path))
    assert not po.untranslated_entries(), [e.msgid for e in po.untranslated_entries()][:10]
    assert not po.fuzzy_entries(), [e.msgid for e in po.fuzzy_entries()][:10]
    fresh = tmp_path / "fresh.mo"
    po.save_as_mofile(str(fresh))
    mo = po_path.with_suffix(".mo")
    assert mo.exists(), "run `make messages`"
    assert {e.msgid: e.msgstr for e in polib.mofile(str(mo))} == {e.msgid: e.msgstr for e in polib.mofile(str(fresh))}


@pytest.mark.django_db
def test_login_page_is_chinese_by_default_and_english_on_request(client):
    zh = client.get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans">' in zh and "用户名" in zh and "登录" in zh
    en = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in en and "Username" in en
