"""Point -> grid: gridgov.geo.locate.GridLocator vs geopandas.sjoin(predicate="within").

    python benchmarks/bench_locate.py [--points 1000000] [--scale small] [--seed 1]
                                      [--repeat 3] [--boundary-share 0.0]

Generates the synthetic demo city, draws N uniform random points in the grids' bounding box
(optionally replacing a share of them by points on grid boundaries and vertices), and times, in
this one process, best of --repeat:
  * ours: ``GridLocator.locate(lon, lat)`` from plain float arrays to grid codes (build reported
    separately as build_s);
  * peer: ``geopandas.sjoin(points_gdf, grids_gdf, predicate="within")``; the points GeoDataFrame
    is built outside the timed region (conservative for us; ``peer_with_points_s`` includes it).
Then the per-worker cost of getting a locator, each in a fresh Python process (the way a web
worker starts), same run: ``mmap`` = ``GridLocator.load`` of the files the task worker publishes
(geo/locator_store.py) and a first query of 10,000 points (which parses the WKB and builds the
STRtree lazily) vs the peer ``build`` = constructing the locator from the same polygons in that
process (what every worker did before). Reported: wall time and the process's private memory
growth (``Private_Dirty`` of /proc/self/smaps_rollup: pages no other process can share; the
mapped raster is file-backed and clean, shared through the page cache) and RSS growth.
Agreement is measured on points farther than 1e-9 degrees from every grid boundary (on a boundary,
"within" finds no grid, ours picks the smallest covering code; sjoin rows are de-duplicated by
taking the smallest code per point).  Prints exactly one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc

import numpy as np
import shapely

from gridgov.demo.city import generate_city
from gridgov.geo.locate import GridLocator


def _best(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _boundary_points(polys: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """k points on grid boundaries: half exact vertices, half interpolated along edges."""
    rings = shapely.get_exterior_ring(polys[rng.integers(0, len(polys), k)])
    n_vert = k // 2
    coords_per = shapely.get_num_coordinates(rings[:n_vert])
    which = (rng.random(n_vert) * (coords_per - 1)).astype(np.int64)
    verts = shapely.get_point(rings[:n_vert], which)
    along = shapely.line_interpolate_point(rings[n_vert:], rng.random(k - n_vert), normalized=True)
    xy = shapely.get_coordinates(np.concatenate([verts, along]))
    return xy[:, 0], xy[:, 1]


_WORKER = r"""
import json, sys, time
import numpy as np
import shapely

def mem():
    out = {}
    for line in open("/proc/self/smaps_rollup"):
        parts = line.split()
        if parts[0] in ("Rss:", "Private_Dirty:", "Pss:"):
            out[parts[0][:-1]] = int(parts[1]) / 1024
    return out

from gridgov.geo.locate import GridLocator
mode, path = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(3)
if mode == "build":  # the peer: the polygons as a worker read them (WKB), then the build
    data = np.load(path + "/wkb.npy"); off = np.load(path + "/wkb_offsets.npy")
    codes = np.load(path + "/codes.npy").tolist()
    polys = shapely.from_wkb([data[off[i]:off[i + 1]].tobytes() for i in range(len(off) - 1)])
    before = mem(); t = time.perf_counter()
    loc = GridLocator(codes, polys)
else:
    before = mem(); t = time.perf_counter()
    loc = GridLocator.load(path)
ready = time.perf_counter() - t
x0, y0, x1, y1 = json.loads(sys.argv[3])
loc.locate(rng.uniform(x0, x1, 10_000), rng.uniform(y0, y1, 10_000))
total = time.perf_counter() - t
after = mem()
print(json.dumps({"ready_s": ready, "first_query_s": total, "private_dirty_mb": after["Private_Dirty"] - before["Private_Dirty"],
                  "rss_mb": after["Rss"] - before["Rss"]}))
"""


def _worker(mode: str, path: str, bounds) -> dict:
    out = subprocess.run([sys.executable, "-c", _WORKER, mode, path, json.dumps(list(bounds))], check=True,
                         capture_output=True, text=True, env=os.environ.copy())
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--scale", default="small")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--boundary-share", type=float, default=0.0,
                    help="share of points placed on grid boundaries/vertices (default 0)")
    args = ap.parse_args(argv)

    import geopandas as gpd  # the peer; imported here so `--help` works without it

    t = time.perf_counter()
    city = generate_city(args.scale, seed=args.seed)
    generate_s = time.perf_counter() - t
    codes = [g.code15 for g in city.grids]
    polys = np.array([g.polygon for g in city.grids], dtype=object)

    rng = np.random.default_rng(args.seed)
    n = args.points
    xmin, ymin, xmax, ymax = city.bounds
    lon = rng.uniform(xmin, xmax, n)
    lat = rng.uniform(ymin, ymax, n)
    n_bnd = int(round(args.boundary_share * n))
    if n_bnd:
        pos = rng.choice(n, n_bnd, replace=False)
        lon[pos], lat[pos] = _boundary_points(polys, n_bnd, rng)

    # ours: first build, then queries
    t = time.perf_counter()
    locator = GridLocator(codes, polys)
    build_s = time.perf_counter() - t
    ours_s, ours = _best(lambda: locator.locate(lon, lat), args.repeat)
    tracemalloc.start()  # a second, untimed build: peak memory of building (numpy buffers included)
    GridLocator(codes, polys)
    build_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()

    # per worker: memory-mapped files vs building in the process (each in a fresh process)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        locator.save(os.path.join(tmp, "loc"))
        save_s = time.perf_counter() - t
        files_mb = sum(f.stat().st_size for f in os.scandir(os.path.join(tmp, "loc"))) / 2**20
        worker_mmap = _worker("mmap", os.path.join(tmp, "loc"), city.bounds)
        worker_build = _worker("build", os.path.join(tmp, "loc"), city.bounds)

    # peer
    grids_gdf = gpd.GeoDataFrame({"code": codes}, geometry=list(polys), crs="EPSG:4326")
    grids_gdf.sindex  # noqa: B018 - build the peer's spatial index outside the timed region, as ours is
    t = time.perf_counter()
    points_gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    points_s = time.perf_counter() - t
    peer_s, joined = _best(lambda: gpd.sjoin(points_gdf, grids_gdf, predicate="within"), args.repeat)
    peer_codes = np.full(n, None, dtype=object)
    smallest = joined.groupby(level=0)["code"].min()
    peer_codes[smallest.index.to_numpy()] = smallest.to_numpy()

    # agreement off boundaries
    edges = shapely.STRtree(shapely.boundary(polys))
    near_in, _ = edges.query(points_gdf.geometry.values, predicate="dwithin", distance=1e-9)
    near = np.zeros(n, dtype=bool)
    near[near_in] = True
    off = ~near
    agree = (ours[off] == peer_codes[off]).mean() if off.any() else 1.0
    disagree_on_boundary = int((ours[near] != peer_codes[near]).sum())

    stats = locator.stats()
    result = {
        "bench": "locate",
        "n": n,
        "ours_s": round(ours_s, 4),
        "peer": "geopandas.sjoin(within)",
        "peer_s": round(peer_s, 4),
        "ratio": round(peer_s / ours_s, 2),
        "ours_points_per_s": round(n / ours_s),
        "peer_points_per_s": round(n / peer_s),
        "build_s": round(build_s, 3),
        "peak_mem_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "agree_share_off_boundary": float(agree),
        "grids": len(codes),
        "scale": args.scale,
        "seed": args.seed,
        "repeat": args.repeat,
        "peer_with_points_s": round(peer_s + points_s, 4),
        "locator_mb": round(locator.nbytes / 2**20, 1),
        "build_peak_mb": round(build_peak_mb, 1),
        "raster": stats["raster"],
        "boundary_cell_share": round(stats["boundary_cell_share"], 4),
        "outside_share": round(float(np.mean(ours == None)), 4),  # noqa: E711 - elementwise
        "near_boundary_points": int(near.sum()),
        "near_boundary_disagree": disagree_on_boundary,
        "generate_s": round(generate_s, 2),
        "save_s": round(save_s, 3),
        "files_mb": round(files_mb, 1),
        "worker_mmap_ready_s": round(worker_mmap["ready_s"], 4),
        "worker_mmap_first_query_s": round(worker_mmap["first_query_s"], 3),
        "worker_mmap_private_mb": round(worker_mmap["private_dirty_mb"], 1),
        "worker_mmap_rss_mb": round(worker_mmap["rss_mb"], 1),
        "worker_build_s": round(worker_build["ready_s"], 3),
        "worker_build_first_query_s": round(worker_build["first_query_s"], 3),
        "worker_build_private_mb": round(worker_build["private_dirty_mb"], 1),
        "worker_build_rss_mb": round(worker_build["rss_mb"], 1),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
        "shapely": shapely.__version__,
        "geopandas": gpd.__version__,
    }
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
