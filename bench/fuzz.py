"""Coverage-guided fuzzing (atheris, i.e. libFuzzer) of every parser of outside input.

    .venv/bin/python bench/fuzz.py [--seconds 70 | --per-parser 10] [--parsers tip,cbp]
                                   [--crashes bench/out/fuzz-crashes] [--hang-s 10]

Each parser runs in its own subprocess (``atheris.Setup``/``Fuzz`` take the process over)
for an equal share of ``--seconds`` (or ``--per-parser`` seconds each), starting from a
small seed corpus built from the repository's own examples (bundled scenarios, the CBP
samples in tests/data, the documented wire, CoT, CAP, camera and case formats). Our code
(``borderwatch``) is instrumented for coverage; the libraries under it are not.
``--parsers self-check`` fuzzes a target that raises KeyError on purpose: it proves that a
crash is caught, saved and counted (the smoke test runs it).

The property fuzzed is the one of tests/property/: whatever the bytes, a parser returns
its value or raises ``InputError`` saying why. A **crash** is any other exception, a hang
(one input running longer than ``--hang-s``) or running out of memory (2 GB). Each crash's
input is saved to ``--crashes`` (with its traceback in a ``.txt`` beside it) under a name
made of the parser, the exception and where it was raised, so one bug found a thousand
times is one crash. Progress goes to stderr; the LAST line on stdout is exactly

    fuzz: parsers=7 execs=1234567 crashes=0

Nothing is downloaded; the corpus lives in a temporary folder and is removed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
PARSERS = ("detection", "tip", "scenario", "camera", "pose_log", "cbp", "case")
SELF_CHECK = "self-check"
POSES = (
    "frame,time,lat,lon,altitude_agl_m,yaw_deg,gimbal_pitch_deg\n"
    "0,2025-02-03T13:10:00Z,49.001,-111.90,80,45,-90\n"
    "frame_0002.tif,2025-02-03T13:10:01Z,49.001,-111.90,81,46,-60\n"
)
FIXED_CAMERA = """sensor_id: cam-9
type: fixed
position: {lat: 49.0004, lon: -111.93}
height_m: 15
azimuth_deg: 180
tilt_deg: 1.5
focal_mm: 25
pitch_um: 12
resolution: {width: 640, height: 512}
start: 2025-02-03T13:10:00Z
frame_rate_hz: 10
radiometric: {kelvin_per_count: 0.01, offset_k: 0}
simulated: true
"""
DRONE_CAMERA = """sensor_id: drone-1
type: drone
focal_mm: 13.5
pitch_um: 12
resolution: {width: 640, height: 512}
pose_log: poses.csv
errors: {position_m: 2.5, pixel: 1}
simulated: true
"""
DETECTION = {
    "time": "2025-02-03T13:00:00Z",
    "sensor_id": "cam-1",
    "lat": 48.99,
    "lon": -111.96,
    "sigma_m": 5.0,
    "kind": "person",
    "count": 3,
    "confidence": 0.8,
    "id": "d-1",
    "children": 1,
    "simulated": True,
}
COT = (
    '<event version="2.0" uid="u-1" type="a-u-G" time="2025-02-03T12:50:00Z" opex="e">'
    '<point lat="48.988" lon="-111.9" ce="400"/><detail><contact callsign="X"/></detail></event>'
)
CAP = (
    '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>I-1</identifier>'
    "<sender>S</sender><sent>2025-02-03T12:50:00+00:00</sent><status>Exercise</status>"
    "<msgType>Alert</msgType><scope>Private</scope><info><event>x</event>"
    "<parameter><valueName>kind</valueName><value>person</value></parameter>"
    "<parameter><valueName>count</valueName><value>3</value></parameter>"
    "<area><areaDesc>a</areaDesc><circle>48.988,-111.9005 0.979</circle>"
    "<polygon>49,-112 49.1,-112 49.1,-111.9 49,-112</polygon></area></info></alert>"
)


def _person(person_id: str, age: int, nationality: str, **facts: Any) -> dict[str, Any]:
    unknown = [
        "name", "sex", "stateless", "former_habitual_residence", "claim_date",
        "has_spouse_or_partner", "parent_or_guardian_in_canada_or_us", "family_in_canada",
        "documents", "visa_required_canada", "visa_required_us",
        "refused_entry_us_without_claim_adjudicated", "canadian_pr_removed_from_us",
        "death_penalty_charge",
    ]
    person = {"id": person_id, "age": age, "nationalities": [nationality], "assumed": []}
    return {**person, **dict.fromkeys(unknown), **facts}


CASE = {
    "format": "borderwatch.case/1",
    "case_id": "AB-2025-0203-001",
    "simulated": True,
    "entry": {"kind": "between_ports", "date": "2025-02-03", "from_country": "US",
              "in_transit_removal_from_us": False},
    "interception": {"interception_id": "int-0001", "incident_id": "inc-0001",
                     "time": "2025-02-03T13:31:00.000Z", "lat": 49.0012, "lon": -111.9302,
                     "unit_id": "rcmp-ibet-coutts", "people_count": 2, "simulated": True},
    "relations": [{"person": "p1", "is": "mother", "of": "p2"}],
    "people": [
        _person("p1", 31, "VE", sex="F", claim_date="2025-02-04",
                family_in_canada=[{"relation": "sister", "status": "citizen"}]),
        _person("p2", 7, "CO", assumed=["age"]),
    ],
    "assumptions": [{"field": "people[p2].age", "value": "7", "reason": "a child"}],
}


def seeds(parser: str) -> list[bytes]:
    """The seed corpus of a parser: the repository's own examples of its format."""
    if parser == "detection":
        line = orjson.dumps(DETECTION)
        return [line, b"\n".join([line, orjson.dumps({**DETECTION, "kind": "vehicle"})])]
    if parser == "tip":
        return [COT.encode(), CAP.encode(), orjson.dumps({**DETECTION, "sensor_id": "tip:x"})]
    if parser == "scenario":
        scenarios = ROOT / "src/borderwatch/sim/scenarios"
        return [p.read_bytes() for p in sorted(scenarios.glob("*.yaml"))]
    if parser == "camera":
        return [FIXED_CAMERA.encode(), DRONE_CAMERA.encode()]
    if parser == "pose_log":
        return [POSES.encode()]
    if parser == "cbp":
        return [p.read_bytes() for p in sorted((ROOT / "tests/data").glob("cbp-*.csv"))]
    if parser == "case":
        return [orjson.dumps(CASE)]
    if parser == SELF_CHECK:
        return [orjson.dumps(DETECTION)]
    raise ValueError(parser)


# --- the child: one parser under atheris ---------------------------------------------------


def _target(parser: str, folder: Path) -> Callable[[bytes], object]:
    """The parser as a function of bytes, run as the CLI or service runs it: JSON that does
    not decode is refused as the callers refuse it; files are read from ``folder``."""
    import atheris

    with atheris.instrument_imports(include=["borderwatch"]):
        from borderwatch.adapters.sources.detection_wire import detection_to_wire, parse_detection
        from borderwatch.adapters.sources.thermal.camera_file import load_camera_file, read_pose_log
        from borderwatch.adapters.sources.tips import parse_tip
        from borderwatch.cases import case_from_json, case_to_json
        from borderwatch.screening import format_text, result_to_json, screen
        from borderwatch.sim.loader import parse_scenario_file
        from borderwatch.stats.cbp import read_cbp_csv

    def loads(data: bytes) -> Any:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            return None  # the callers answer "not valid JSON" (an InputError)

    def detection(data: bytes) -> object:
        for line in data.splitlines():
            obj = loads(line)
            if obj is not None:
                det = parse_detection(obj)
                # What was accepted goes back on the wire (to the millisecond and 1e-7 degree,
                # detection_wire.py) and is accepted again.
                again = parse_detection(orjson.loads(orjson.dumps(detection_to_wire(det))))
                assert abs((again.time - det.time).total_seconds()) < 1e-3
                assert abs(again.lat - det.lat) < 1e-6 and abs(again.lon - det.lon) < 1e-6
                assert (again.kind, again.count, again.sensor_id) == (
                    det.kind, det.count, det.sensor_id)
        return None

    def case(data: bytes) -> object:
        obj = loads(data)
        if obj is None:
            return None
        try:
            parsed = case_from_json(obj)
            assert case_from_json(case_to_json(parsed)) == parsed  # written back the same
        finally:  # the screening reads the same file whatever the case store thinks of it
            result = screen(obj)
            result_to_json(result)
            format_text(result)
        return None

    def in_file(name: str, read: Callable[[Path], object]) -> Callable[[bytes], object]:
        path = folder / name

        def run(data: bytes) -> object:
            path.write_bytes(data)
            return read(path)

        return run

    (folder / "poses.csv").write_text(POSES)
    return {
        "detection": detection,
        "tip": parse_tip,
        "scenario": in_file("scenario.yaml", parse_scenario_file),
        "camera": in_file("camera.yaml", load_camera_file),
        "pose_log": in_file("log.csv", read_pose_log),
        "cbp": in_file("cbp.csv", read_cbp_csv),
        "case": case,
        SELF_CHECK: lambda data: {}[data[:1]],  # a KeyError on every input: a known crash
    }[parser]


def _signature(err: BaseException) -> str:
    """Where a crash was raised: the exception's type and the innermost frame of our code
    (else the innermost frame), so the same bug found again is the same crash."""
    frames = traceback.extract_tb(err.__traceback__)
    ours = [f for f in frames if "borderwatch" in f.filename] or frames
    where = f"{Path(ours[-1].filename).stem}:{ours[-1].lineno}" if ours else "?"
    return f"{type(err).__name__}-{where}"


def child(parser: str, crashes: Path, folder: Path, libfuzzer_args: list[str]) -> None:
    """Fuzz ``parser`` in this process (libFuzzer ends it); files are written in ``folder``."""
    import atheris

    from borderwatch.domain import InputError

    target = _target(parser, folder)
    seen: set[str] = set()

    def one_input(data: bytes) -> None:
        try:
            target(data)
        except InputError as err:
            str(err)  # the message itself must be printable
        except Exception as err:  # any other exception is the finding
            key = _signature(err)
            if key in seen:
                return
            seen.add(key)
            stem = crashes / f"{parser}-{re.sub(r'[^A-Za-z0-9_.:-]', '_', key)}"
            stem.with_suffix(".bin").write_bytes(data)
            stem.with_suffix(".txt").write_text("".join(traceback.format_exception(err)))
            print(f"fuzz: {parser}: CRASH {key} (saved to {stem}.bin)", file=sys.stderr)

    atheris.Setup([sys.argv[0], *libfuzzer_args], one_input)
    atheris.Fuzz()


# --- the parent: one subprocess per parser --------------------------------------------------

_EXECS = re.compile(rb"^stat::number_of_executed_units:\s*(\d+)")
_PULSE = re.compile(rb"^#(\d+)\s")
_FATAL = re.compile(rb"ERROR: libFuzzer: (timeout|out-of-memory|deadly signal)")


def fuzz_one(parser: str, seconds: float, crashes: Path, hang_s: int) -> tuple[int, int]:
    """Fuzz ``parser`` for ``seconds``; its (execs, crashes)."""
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{parser}-") as scratch:
        corpus, work = Path(scratch) / "corpus", Path(scratch) / "work"
        corpus.mkdir()
        work.mkdir()
        for i, seed in enumerate(seeds(parser)):
            (corpus / f"seed-{i}").write_bytes(seed)
        args = [
            f"-max_total_time={max(1, round(seconds))}",
            f"-timeout={hang_s}",
            "-rss_limit_mb=2048",
            "-max_len=65536",
            "-print_final_stats=1",
            f"-artifact_prefix={crashes}/{parser}-libfuzzer-",
            str(corpus),
        ]
        command = [sys.executable, __file__, "--child", parser, str(crashes), str(work), "--"]
        command += args
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
        process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   env=env, cwd=ROOT)
        assert process.stderr is not None
        execs = last_pulse = fatal = 0
        shown = time.monotonic()
        for line in process.stderr:
            if (match := _EXECS.match(line)) is not None:
                execs = int(match.group(1))
            elif (match := _PULSE.match(line)) is not None:
                last_pulse = int(match.group(1))
            elif _FATAL.search(line) is not None:
                fatal += 1
                print(f"fuzz: {parser}: {line.decode(errors='replace').strip()}", file=sys.stderr)
            elif line.startswith(b"fuzz: "):
                print(line.decode(errors="replace").rstrip(), file=sys.stderr)
            if time.monotonic() - shown > 10:
                shown = time.monotonic()
                print(f"fuzz: {parser}: {last_pulse:,} execs so far", file=sys.stderr)
        code = process.wait()
    found = len(list(crashes.glob(f"{parser}-*.bin"))) + fatal
    if code != 0 and not fatal:
        found += 1  # the child died some other way: that is a crash too
        print(f"fuzz: {parser}: the fuzzer exited with {code}", file=sys.stderr)
    return max(execs, last_pulse), found


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        rest = argv.index("--")
        child(argv[1], Path(argv[2]), Path(argv[3]), argv[rest + 1:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=70.0, help="total fuzzing time (s)")
    ap.add_argument("--per-parser", type=float, help="seconds per parser (instead of --seconds)")
    ap.add_argument("--parsers", default=",".join(PARSERS), help="comma-separated subset")
    ap.add_argument("--crashes", type=Path, default=ROOT / "bench/out/fuzz-crashes",
                    help="where crashing inputs are saved")
    ap.add_argument("--hang-s", type=int, default=10, help="one input longer than this is a hang")
    args = ap.parse_args(argv)
    parsers = [p for p in args.parsers.split(",") if p]
    unknown = sorted(set(parsers) - {*PARSERS, SELF_CHECK})
    if unknown:
        ap.error(f"unknown parser(s) {unknown}; parsers are: {', '.join(PARSERS)}")
    each = args.per_parser if args.per_parser is not None else args.seconds / len(parsers)
    # A fresh folder each run: the crash count is of this run's findings.
    shutil.rmtree(args.crashes, ignore_errors=True)
    args.crashes.mkdir(parents=True)
    total_execs = total_crashes = 0
    for parser in parsers:
        start = time.monotonic()
        execs, crashes = fuzz_one(parser, each, args.crashes, args.hang_s)
        took = time.monotonic() - start
        rate = execs / max(took, 1e-9)
        print(f"fuzz: {parser:9} {took:5.0f} s {execs:>11,} execs ({rate:,.0f}/s) "
              f"{crashes} crash(es)", file=sys.stderr)
        total_execs += execs
        total_crashes += crashes
    if total_crashes:
        print(f"fuzz: crashing inputs are in {args.crashes}", file=sys.stderr)
    print(f"fuzz: parsers={len(parsers)} execs={total_execs} crashes={total_crashes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
