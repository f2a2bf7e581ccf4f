"""`--engine spark`: the same Splink model on Apache Spark (local[2], one JVM for the module) gives the
same links as DuckDB on the same data."""

from __future__ import annotations

import pytest

from gridgov.quality import linkage, linksynth


@pytest.fixture(scope="module")
def spark():
    session = linkage.spark_session("local[2]")
    yield session
    session.stop()


def test_spark_gives_the_same_links_as_duckdb(spark):
    data = linksynth.generate(150, seed=23)
    register, external = linkage.normalise(data.register), linkage.normalise(data.external)
    duck = linkage.link(register, external, threshold=0.9, engine="duckdb")
    on_spark = linkage.link(register, external, threshold=0.9, engine="spark", spark=spark)
    assert [(lk.external_id, lk.register_id) for lk in on_spark] == [(lk.external_id, lk.register_id) for lk in duck]
    assert len(duck) >= 0.95 * len(data.truth)
    for a, b in zip(duck, on_spark, strict=True):
        assert b.match_probability == pytest.approx(a.match_probability, abs=1e-3)
        assert b.conflicts == a.conflicts
