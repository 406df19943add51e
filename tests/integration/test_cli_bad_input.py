"""The CLI given the wrong file or a bad field: a clear error naming the file, line, field
and reason, exit status 2, no traceback and no empty output passed off as a result."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderwatch.app.cli import detect as detect_cli
from borderwatch.app.cli import main as main_cli
from borderwatch.app.cli.main import app, main

GOOD = {
    "time": "2025-02-03T13:00:00Z",
    "sensor_id": "cam-1",
    "lat": 48.99,
    "lon": -111.96,
    "sigma_m": 5,
    "kind": "person",
}
CASE = {
    "case_id": "C-1",
    "simulated": True,
    "entry": {"kind": "between_ports", "date": "2025-02-03"},
    "people": [{"id": "p1", "age": 30, "nationalities": ["VE"]}],
}


def _main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """``borderwatch ARGS`` through the real entry point (which turns errors into exit 2),
    on consoles wide enough that no message is wrapped."""
    for module in (main_cli, detect_cli):
        for console in (module.console, module.err_console):
            monkeypatch.setattr(console, "_width", 1000)
    monkeypatch.setattr(sys, "argv", ["borderwatch", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    captured = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), captured.out, captured.err


def test_run_on_a_case_file_refuses_with_the_line_errors_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE, indent=2))  # 17 lines, none a detection
    out = tmp_path / "incidents.jsonl"
    code, stdout, stderr = _main(
        monkeypatch, capsys, "run", "--detections", str(case), "--incidents", str(out)
    )
    assert code == 2, (stdout, stderr)
    assert not out.exists()
    assert "no valid detection: all 17 lines refused" in stderr
    assert f"{case} line 1: not valid JSON" in stderr
    # Bounded: the first ten lines, then how many more; the reasons before the verdict.
    assert stderr.count("skipped") == 10 and "... and 7 more bad lines" in stderr
    assert stderr.index("line 1:") < stderr.index("no valid detection")
    assert "Traceback" not in stderr and "detections accepted" not in stdout


def test_run_on_an_empty_file_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "d.jsonl"
    empty.write_text("\n\n")
    out = tmp_path / "i.jsonl"
    code, _, stderr = _main(
        monkeypatch, capsys, "run", "--detections", str(empty), "--incidents", str(out)
    )
    assert code == 2 and "no detection in the file" in stderr and not out.exists()


def test_run_prints_the_bad_lines_before_the_summary(tmp_path: Path) -> None:
    stream = tmp_path / "d.jsonl"
    stream.write_text(json.dumps(GOOD) + "\n{broken\n")
    result = CliRunner().invoke(
        app, ["run", "--detections", str(stream), "--incidents", str(tmp_path / "i.jsonl")]
    )
    assert result.exit_code == 0, result.output
    assert result.output.index("line 2: not valid JSON") < result.output.index(
        "detections accepted"
    )


def test_a_bad_value_that_looks_like_markup_is_printed_not_interpreted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The error quotes the value; "[/x]" is rich console markup and used to crash."""
    stream = tmp_path / "d.jsonl"
    stream.write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "kind": "[/x]"}) + "\n")
    code, _, stderr = _main(
        monkeypatch,
        capsys,
        "run",
        "--detections",
        str(stream),
        "--incidents",
        str(tmp_path / "i.jsonl"),
    )
    assert code == 0, stderr
    assert "line 2: field kind:" in stderr and "'[/x]'" in stderr


INCIDENT = {
    "incident_id": "inc-1",
    "type": "crossing",
    "direction": "northbound",
    "time": "2025-02-03T13:00:00Z",
    "detected_at": "2025-02-03T13:00:30Z",
    "lat": 49.0,
    "lon": -111.96,
    "group_size": 3,
}
TRUTH = {
    "type": "crossing",
    "entity_id": "g1",
    "kind": "person",
    "group_size": 3,
    "time": "2025-02-03T12:59:50Z",
    "lat": 49.0,
    "lon": -111.96,
    "direction": "northbound",
}


def _evaluate(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    incident: dict[str, object],
    truth: dict[str, object],
) -> tuple[int, str, str]:
    incidents, truth_file = tmp_path / "i.jsonl", tmp_path / "t.jsonl"
    incidents.write_text(json.dumps(incident) + "\n")
    truth_file.write_text(json.dumps(TRUTH) + "\n" + json.dumps(truth) + "\n")
    return _main(
        monkeypatch,
        capsys,
        "evaluate",
        "--incidents",
        str(incidents),
        "--truth",
        str(truth_file),
        "--json",
    )


def test_evaluate_scores_good_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, _ = _evaluate(tmp_path, monkeypatch, capsys, INCIDENT, TRUTH)
    assert code == 0 and json.loads(stdout)["truth_crossings"] == 2


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("kind", "persn", "must be one of animal, person, unknown, vehicle, got 'persn'"),
        ("lat", "forty-nine", "must be a number, got str"),
        ("lon", None, "is required"),
        ("direction", "north", "must be northbound or southbound"),
        ("group_size", "3", "must be an integer >= 1 or null"),
    ],
)
def test_evaluate_refuses_a_bad_truth_field_by_line_and_field(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    field: str,
    value: object,
    reason: str,
) -> None:
    """A misspelt kind used to be scored as an animal; a word for a number, a traceback."""
    code, _, stderr = _evaluate(
        tmp_path, monkeypatch, capsys, INCIDENT, {**TRUTH, field: value}
    )
    assert code == 2, stderr
    assert f"t.jsonl line 2: field {field}: {reason}" in stderr
    assert "Traceback" not in stderr


def test_evaluate_refuses_a_non_numeric_incident_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, stderr = _evaluate(
        tmp_path, monkeypatch, capsys, {**INCIDENT, "lon": [1]}, TRUTH
    )
    assert code == 2 and "i.jsonl line 1: field lon: must be a number, got list" in stderr


def test_detect_refuses_an_image_given_as_the_camera_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    png = tmp_path / "camera.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(32))
    code, _, stderr = _main(
        monkeypatch,
        capsys,
        "detect",
        str(frames),
        "--camera",
        str(png),
        "--detections",
        str(tmp_path / "d.jsonl"),
    )
    assert code == 2, stderr
    assert "not a camera file: byte 0 is not UTF-8 text (a camera file is YAML or JSON)" in stderr
    assert "Traceback" not in stderr


def test_detect_names_a_frame_whose_name_looks_like_markup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    (frames / "[bold]x.png").write_bytes(b"not a png")
    camera = tmp_path / "camera.yaml"
    camera.write_text(
        "type: fixed\nsensor_id: cam-1\nresolution: {width: 640, height: 512}\n"
        "focal_mm: 50\npitch_um: 12\nposition: {lat: 48.99, lon: -111.96}\nheight_m: 10\n"
        "azimuth_deg: 180\ntilt_deg: 5\nstart: 2025-02-03T13:00:00Z\nframe_rate_hz: 1\n"
    )
    code, _, stderr = _main(
        monkeypatch,
        capsys,
        "detect",
        str(frames),
        "--camera",
        str(camera),
        "--detections",
        str(tmp_path / "d.jsonl"),
    )
    assert code == 2 and "no usable frame" in stderr and "[bold]x.png" in stderr, stderr
