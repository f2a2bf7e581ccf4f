"""`gridgov demo` with another scale or seed wipes the demo: it refuses (exit != 0, a Chinese message
naming --force) when data were entered by hand after the demo load, and writes nothing then."""

from __future__ import annotations

import pytest

from gridgov import cli


def _snapshot():
    from gridgov.cases.models import Case
    from gridgov.core.models import SystemState
    from gridgov.geo.models import Grid

    return (Case.objects.count(), Grid.objects.count(),
            sorted((s.key, str(s.value)) for s in SystemState.objects.filter(key__startswith="demo:")))


@pytest.mark.django_db
def test_start_says_how_long_and_that_tiny_exists(capsys, demo, django_db_blocker):
    with django_db_blocker.unblock():
        assert cli.main(["demo", "--scale", "tiny", "--seed", "1", "--no-serve"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert "tiny" in first and "秒" in first  # the measured time, said before any work
    assert "already loaded" in out  # same scale and seed: nothing regenerated
    assert "(310101" in out and "网格" in out  # the grid worker's grid, by name and code
    capsys.readouterr()
    # (the small scale names tiny as the quicker one; refused here before any work, see below)


@pytest.mark.django_db
def test_another_scale_refuses_to_wipe_hand_entered_data(capsys, demo, django_db_blocker):
    from gridgov.accounts.models import User
    from gridgov.cases import services
    from gridgov.cases.models import Case
    from gridgov.demo.loaders import HandEnteredData, load_all

    with django_db_blocker.unblock():
        grid = User.objects.get(username="grid")
        home = [m.jurisdiction for m in grid.active_memberships() if m.scope == "capture"][0]
        case, created = services.case_report(actor=grid, category_code="E0102", grid_code=home,
                                             description="手工录入：小区门口垃圾堆放")
        assert created
        before = _snapshot()
        with pytest.raises(HandEnteredData) as info:
            load_all(scale="small", seed=1)
        assert info.value.counts["cases"] == 1 and info.value.counts["audit_writes"] >= 1
        assert _snapshot() == before

        assert cli.main(["demo", "--scale", "small", "--no-serve"]) == 2
        out, err = capsys.readouterr()
        assert "SCALE=tiny" in out.splitlines()[1]  # the quicker scale is named at the start
        assert "--force" in err and "手工录入" in err and "新上报事件 1 条" in err
        assert _snapshot() == before
        assert Case.objects.filter(pk=case.pk, description="手工录入：小区门口垃圾堆放").exists()

        # --force: the hand-entered case goes with the old demo
        load_all(scale="tiny", seed=2, force=True)
        assert not Case.objects.filter(pk=case.pk).exists()
        assert Case.objects.count() >= 400


@pytest.mark.django_db
def test_another_seed_without_hand_entered_data_needs_no_force(demo, django_db_blocker):
    from datetime import datetime

    from gridgov.core.models import SystemState
    from gridgov.demo.loaders import hand_entered, last_run, load_all

    with django_db_blocker.unblock():
        run = last_run()
        assert run is not None and run["params"]["scale"] == "tiny"
        assert hand_entered(datetime.fromisoformat(run["loaded_at"])) == {}
        other = 1 if run["params"]["seed"] != 1 else 2
        load_all(scale="tiny", seed=other)  # another seed, nothing entered by hand: reloads, no --force
        assert SystemState.objects.get(key="demo:cases").value["params"] == {"scale": "tiny", "seed": other}
        assert last_run()["params"] == {"scale": "tiny", "seed": other}
