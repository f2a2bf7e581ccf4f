"""What a person sees when a page is refused: one Chinese 403 page and one Chinese 404 page, each
with the site navigation of the signed-in user. Every app's page-guard test checks its refusals
with ``assert_refusal``; the expected words are written here, not read from the templates."""

from __future__ import annotations

import re

# (heading, explanation) as the zh-hans catalogue renders them
FORBIDDEN = ("无权访问", "您的角色不包含此功能。")
NOT_FOUND = ("未找到", "该页面或记录不存在，或不在您的辖区内。")

# the main navigation's entries, in their order
MAP = ("/geo/map/", "地图")
REGISTRY = ("/registry/", "实有人口与房屋")
EVENTS = ("/cases/", "事件")
SAFETY = ("/safety/", "治安态势")
CARE = ("/care/", "特殊人群服务管理")
CONCERNS = ("/desk/concerns/", "舆情回应")
CAMPAIGNS = ("/safety/campaigns/", "专项整治")
PREVENTION = ("/prevention/", "六张网防控")
DESK = ("/desk/", "一站式窗口")
RENEWALS = ("/desk/reminders/", "居住证续签")
QUALITY = ("/quality/", "核查活动与估计")
RECONCILE = ("/quality/reconcile/", "名单对账")
VERIFY = ("/quality/reconcile/worklist/", "对账核实清单")
SCREEN = ("/command/", "指挥屏")
SCORECARDS = ("/command/scorecards/", "考核")
PROJECTS = ("/command/projects/", "项目清单")
# the whole navigation of a street centre (menus opened: 治安防控, 一站式服务, 登记质量核查, 综治中心)
STREET_CENTRE = [MAP, REGISTRY, EVENTS, SAFETY, CAMPAIGNS, PREVENTION, CARE, DESK, RENEWALS, CONCERNS, QUALITY, RECONCILE,
                 SCREEN, SCORECARDS, PROJECTS]
# a police station officer: the safety menu and care (street children)
POLICE = [MAP, REGISTRY, EVENTS, SAFETY, CAMPAIGNS, PREVENTION, CARE]
# a grid worker: prevention (logs), permit renewals, the two verification lists
GRID_WORKER = [MAP, REGISTRY, EVENTS, PREVENTION, RENEWALS, QUALITY, VERIFY]
AUDIT = ("/audit/", "审计日志")


def nav_entries(body: str) -> list[tuple[str, str]]:
    """The (href, label) pairs of the header's main navigation, menus opened."""
    match = re.search(r'<nav class="mainnav">(.*?)</nav>', body, re.S)
    assert match, "no main navigation in the page"
    return re.findall(r'<a href="([^"]*)">([^<]*)</a>', match.group(1))


def assert_refusal(response, status: int, nav: list[tuple[str, str]]) -> str:
    """``response`` is the one refusal page for ``status`` (403 or 404), in Chinese, with ``nav``."""
    assert response.status_code == status, (response.status_code, response.get("Location"))
    template = {403: "403.html", 404: "404.html"}[status]
    assert [t.name for t in response.templates][:2] == [template, "base.html"]
    body = response.content.decode()
    heading, text = {403: FORBIDDEN, 404: NOT_FOUND}[status]
    assert '<html lang="zh-hans">' in body
    assert f"<h1>{heading}</h1>" in body and text in body
    assert f'data-testid="page-{status}"' in body
    assert nav_entries(body) == nav
    return body
