"""The CBP Nationwide Encounters CSV: layout, import of a hand-written file, questions, export."""

from __future__ import annotations

from pathlib import Path

import pytest

from borderwatch.domain import InputError
from borderwatch.stats.base import EncounterRow, Encounters
from borderwatch.stats.cbp import (
    cbp_citizenship,
    column_name,
    export_cbp,
    layout,
    parse_cbp_csv,
    parse_where,
    query,
    read_cbp_csv,
)
from borderwatch.stats.counting import DuckDbEngine
from borderwatch.stats.periods import month_index

DATA = Path(__file__).resolve().parents[1] / "data"
AOR_FILE = DATA / "cbp-nationwide-encounters-aor-sample.csv"
STATE_FILE = DATA / "cbp-nationwide-encounters-state-sample.csv"
PUBLISHED_AOR = [
    "Fiscal Year", "Month Grouping", "Month (abbv)", "Component", "Land Border Region",
    "Area of Responsibility", "AOR (Abbv)", "Demographic", "Citizenship",
    "Title of Authority", "Encounter Type", "Encounter Count",
]  # fmt: skip
# The state-level file as CBP publishes it (nationwide-encounters-fy21-fy24-state.csv): nine
# columns, no Component and no Encounter Type (both components added together).
PUBLISHED_STATE = [
    "Fiscal Year", "Month Grouping", "Month (abbv)", "Land Border Region", "State",
    "Demographic", "Citizenship", "Title of Authority", "Encounter Count",
]  # fmt: skip
# SCENARIO.md: US Border Patrol northern-border apprehensions FY2024, by sector.
FY2024_SECTORS = {
    "Swanton Sector": 19_385,
    "Blaine Sector": 2_407,
    "Detroit Sector": 624,
    "Buffalo Sector": 458,
    "Houlton Sector": 344,
    "Grand Forks Sector": 259,
    "Spokane Sector": 144,
    "Havre Sector": 100,
}
FY2024_NORTHERN = ["Fiscal Year=2024", "Component=U.S. Border Patrol",
                   "Land Border Region=Northern Land Border"]  # fmt: skip


def test_the_column_layout_is_cbps_exactly() -> None:
    assert layout()["columns"]["aor"] == PUBLISHED_AOR
    assert layout()["columns"]["state"] == PUBLISHED_STATE
    vocab = layout()["vocabularies"]
    assert vocab["Demographic"] == ["Single Adults", "FMUA", "Accompanied Minors",
                                    "UC / Single Minors"]  # fmt: skip
    assert vocab["Component"] == ["U.S. Border Patrol", "Office of Field Operations"]
    assert vocab["Encounter Type"] == ["Apprehensions", "Inadmissibles", "Expulsions"]
    assert vocab["Title of Authority"] == ["Title 8", "Title 42"]
    assert vocab["Land Border Region"] == ["Northern Land Border", "Southwest Land Border",
                                           "Other"]  # fmt: skip


@pytest.mark.parametrize(
    ("given", "published"),
    [
        ("month_abbv", "Month (abbv)"),
        ("aor_abbv", "AOR (Abbv)"),
        ("area_of_responsibility", "Area of Responsibility"),
        ("Encounter Count", "Encounter Count"),
        ("fiscal_year", "Fiscal Year"),
        ("state", "State"),
    ],
)
def test_column_names_published_or_snake_case(given: str, published: str) -> None:
    assert column_name(given) == published


def test_import_of_the_hand_written_file_checks_totals() -> None:
    data = read_cbp_csv(AOR_FILE)
    assert data.variant == "aor"
    assert len(data) == 19
    # 23,721 northern-border USBP FY2024 + 1,500 + 25,000 + 12 + 9 + 77 distractors.
    assert data.total == 23_721 + 1_500 + 25_000 + 12 + 9 + 77
    by_sector = query(data, ["Area of Responsibility"], parse_where(FY2024_NORTHERN))
    assert {r["area_of_responsibility"]: r["encounter_count"] for r in by_sector} == FY2024_SECTORS
    assert sum(r["encounter_count"] for r in by_sector) == 23_721
    assert by_sector[0]["area_of_responsibility"] == "Swanton Sector"  # largest first


def test_questions_with_snake_case_names_and_case_insensitive_values() -> None:
    data = read_cbp_csv(AOR_FILE)
    where = parse_where(["fiscal_year=FY2024", "component=u.s. border patrol",
                         "land_border_region=Northern Land Border", "aor_abbv=HVM"])  # fmt: skip
    rows = query(data, ["demographic", "citizenship"], where)
    assert rows == [
        {"demographic": "Single Adults", "citizenship": "VENEZUELA", "encounter_count": 97},
        {"demographic": "FMUA", "citizenship": "COLOMBIA", "encounter_count": 3},
    ]
    # several values of one column are alternatives
    either = query(data, [], parse_where(["AOR (Abbv)=HVM", "AOR (Abbv)=SPW",
                                          "Fiscal Year=2024"]))  # fmt: skip
    assert either == [{"encounter_count": 100 + 144}]


def test_quoted_citizenship_with_a_comma_is_one_field() -> None:
    data = read_cbp_csv(AOR_FILE)
    rows = query(data, ["Citizenship"], parse_where(["Citizenship=CHINA, PEOPLES REPUBLIC OF"]))
    assert rows == [{"citizenship": "CHINA, PEOPLES REPUBLIC OF", "encounter_count": 1407}]


def test_the_state_file_is_read_as_published_with_nine_columns() -> None:
    data = read_cbp_csv(STATE_FILE)
    assert data.variant == "state"
    assert data.columns == tuple(PUBLISHED_STATE)
    assert "state file" in data.variant_name and "9 columns" in data.variant_name
    assert (len(data), data.total) == (11, 12 + 15_200 + 1_870 + 610 + 38_400 + 575 + 1_240
                                       + 212 + 9 + 31 + 4)  # fmt: skip
    northern = parse_where(["Fiscal Year=2024", "Land Border Region=Northern Land Border"])
    assert query(data, ["State"], northern) == [
        {"state": "NY", "encounter_count": 1_240},
        {"state": "VT", "encounter_count": 610 + 575},
        {"state": "WA", "encounter_count": 212},
        {"state": "MI", "encounter_count": 31},
        {"state": "MT", "encounter_count": 9},
        {"state": "ME", "encounter_count": 4},
    ]
    assert read_cbp_csv(AOR_FILE).variant_name.startswith("AOR file")


@pytest.mark.parametrize("column", ["Component", "Encounter Type"])
@pytest.mark.parametrize("how", ["by", "where"])
def test_the_state_file_has_no_component_and_says_which_file_does(column: str, how: str) -> None:
    data = read_cbp_csv(STATE_FILE)
    value = {"Component": "U.S. Border Patrol", "Encounter Type": "Apprehensions"}[column]
    with pytest.raises(InputError) as caught:
        if how == "by":
            query(data, [column])
        else:
            query(data, [], parse_where([f"{column}={value}"]))
    message = str(caught.value)
    assert f"--{how}" in message and f"{column!r} is not in the state file" in message
    assert "both components added together" in message
    assert "the AOR file" in message and "aor.csv" in message


def test_the_aor_file_has_no_state_and_says_which_file_does() -> None:
    with pytest.raises(InputError, match=r"'State' is not in the AOR file.*the state file"):
        query(read_cbp_csv(AOR_FILE), ["State"])


def test_an_invented_state_layout_with_component_is_refused() -> None:
    # The layout this project once made up for the state file: State plus Component and
    # Encounter Type. CBP publishes no such file.
    header = ("Fiscal Year,Month Grouping,Month (abbv),Component,Land Border Region,State,"
              "Demographic,Citizenship,Title of Authority,Encounter Type,Encounter Count")
    row = ("2025,FYTD,JAN,U.S. Border Patrol,Northern Land Border,MT,FMUA,VENEZUELA,Title 8,"
           "Apprehensions,9")
    refused = r"\['Component', 'Encounter Type'\] do not belong in the state file"
    with pytest.raises(InputError, match=refused):
        parse_cbp_csv(f"{header}\n{row}\n")


@pytest.mark.parametrize(
    ("file", "where", "column", "listed"),
    [
        (STATE_FILE, "State=ND", "State", "AZ, FL, ME, MI, MT, NY, TX, VT, WA"),
        (STATE_FILE, "Fiscal Year=2019", "Fiscal Year", "2022, 2023, 2024"),
        (AOR_FILE, "AOR (Abbv)=HAV", "AOR (Abbv)", "BLW, BUN, Buffalo, DTM, GFN, HLT, HVM"),
        (AOR_FILE, "Citizenship=VENEZULA", "Citizenship", "CANADA, CHINA, PEOPLES REPUBLIC OF"),
    ],
)
def test_a_where_value_the_file_never_has_is_an_error_listing_its_values(
    file: Path, where: str, column: str, listed: str
) -> None:
    data = read_cbp_csv(file)
    with pytest.raises(InputError) as caught:
        query(data, [], parse_where([where]))
    message = str(caught.value)
    assert message.startswith("field --where: ") and f"{column}: " in message
    assert "is not in this file" in message and data.variant_name in message
    assert listed in message


def test_a_where_value_in_cbps_vocabulary_but_not_in_the_file_is_an_error() -> None:
    # Title 42 is CBP vocabulary (checked by parse_where), but this file has only Title 8
    # rows: the answer would be an empty table that reads as "no encounters".
    lines = [line for line in AOR_FILE.read_text().splitlines() if "Title 42" not in line]
    data = parse_cbp_csv("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"Title of Authority: 'Title 42' is not in this file.*"
                                         r"values are: Title 8$"):  # fmt: skip
        query(data, [], parse_where(["Title of Authority=Title 42"]))
    # a value the file has, in another case, still answers
    assert query(data, [], parse_where(["title_of_authority=title 8"])) == [
        {"encounter_count": data.total}
    ]


def test_snake_case_header_reads_the_same() -> None:
    lines = AOR_FILE.read_text().splitlines()
    header = ",".join(
        c.lower().replace(" (", "_").replace(")", "").replace(" ", "_") for c in PUBLISHED_AOR
    )
    data = parse_cbp_csv("\n".join([header, *lines[1:]]) + "\n")
    assert data.columns == tuple(PUBLISHED_AOR)
    assert data.total == read_cbp_csv(AOR_FILE).total


def _with_row(row: str, at: int = 3) -> str:
    lines = AOR_FILE.read_text().splitlines()
    lines.insert(at - 1, row)
    return "\n".join(lines) + "\n"


GOOD = ("2024,FYTD,JAN,U.S. Border Patrol,Northern Land Border,Havre Sector,HVM,Single Adults,"
        "MEXICO,Title 8,Apprehensions,4")  # fmt: skip


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (GOOD.replace(",4", ",four"), "Encounter Count", "whole number"),
        (GOOD.replace(",4", ",-4"), "Encounter Count", "whole number"),
        (GOOD.replace("JAN", "January"), "Month (abbv)", "not one of"),
        (GOOD.replace("Single Adults", "Family Units"), "Demographic", "not one of"),
        (GOOD.replace("Title 8", "Title 9"), "Title of Authority", "not one of"),
        (GOOD.replace("Apprehensions", "Arrests"), "Encounter Type", "not one of"),
        (GOOD.replace("U.S. Border Patrol", "USBP"), "Component", "not one of"),
        (GOOD.replace("2024", "FY24"), "Fiscal Year", "year"),
        (GOOD.replace("MEXICO", "Mexico"), "Citizenship", "upper case"),
        (GOOD.replace("HVM", ""), "AOR (Abbv)", "empty"),
    ],
)
def test_a_malformed_row_names_file_line_and_column(row: str, column: str, reason: str) -> None:
    text = _with_row(row, at=5)
    with pytest.raises(InputError) as caught:
        parse_cbp_csv(text, source="sample.csv")
    message = str(caught.value)
    assert message.startswith("sample.csv line 5: ")
    assert f"field {column}:" in message and reason in message and "nothing imported" in message


def test_a_row_with_too_few_fields() -> None:
    with pytest.raises(InputError, match="line 3: has 11 fields, the header has 12"):
        parse_cbp_csv(_with_row(GOOD.rsplit(",", 1)[0]), source="sample.csv")


def test_unknown_and_missing_columns_are_refused() -> None:
    text = AOR_FILE.read_text()
    with pytest.raises(InputError, match=r"unknown column\(s\) \['Sector'\]"):
        parse_cbp_csv(text.replace("AOR (Abbv)", "Sector", 1))
    header, _, rest = text.partition("\n")
    dropped = ",".join(c for c in header.split(",") if c != "Citizenship")
    body = "\n".join(",".join(r.split(",")[:8] + r.split(",")[9:]) for r in rest.splitlines()[:1])
    with pytest.raises(InputError, match=r"missing column\(s\) \['Citizenship'\]"):
        parse_cbp_csv(dropped + "\n" + body + "\n")


def test_comment_lines_before_the_header_are_skipped_and_lines_still_counted() -> None:
    text = "# SIMULATED DATA\n# another note\n" + _with_row(GOOD.replace(",4", ",x"), at=2)
    with pytest.raises(InputError, match="line 4:"):
        parse_cbp_csv(text, source="f.csv")


def test_where_refuses_values_outside_the_vocabulary_and_unknown_columns() -> None:
    with pytest.raises(InputError, match="Component"):
        parse_where(["Component=Border Patrol"])
    with pytest.raises(InputError, match="unknown CBP column"):
        parse_where(["Sector=Havre"])
    with pytest.raises(InputError, match="COLUMN=VALUE"):
        parse_where(["Havre"])


def _row(country: str, unit: str, agency: str, sector: str, month: int, **kw: str) -> EncounterRow:
    values = {
        "country": country, "region": "MT" if country == "US" else "AB", "segment": "AB-MT",
        "rcmp_division": "K", "usbp_sector": sector, "unit": unit, "agency": agency,
        "direction": "southbound" if country == "US" else "northbound", "citizenship": "VE",
        "demographic": "Single Adults", "entry_kind": "between_ports",
    }  # fmt: skip
    values.update(kw)
    return EncounterRow(month=month, simulated=True, **values)


def test_export_writes_the_cbp_layout_and_reads_back() -> None:
    oct24, feb25 = month_index(2024, 10), month_index(2025, 2)
    rows = [
        *[_row("US", "USBP-HVM", "USBP", "HVM", feb25) for _ in range(3)],
        _row("US", "USBP-HVM", "USBP", "HVM", feb25, citizenship="FR"),
        _row("US", "USBP-HVM", "USBP", "HVM", feb25, citizenship="DE"),
        _row("US", "USBP-HVM", "USBP", "HVM", oct24, demographic="FMUA", citizenship="CO"),
        *[_row("CA", "RCMP-K-IBET", "RCMP", "HVM", feb25) for _ in range(9)],
    ]
    result = export_cbp(Encounters.from_rows(rows), DuckDbEngine(threads=1))
    assert (result.encounters, result.left_out) == (6, 9)
    text = result.csv_text
    assert text.startswith("# SIMULATED DATA")
    assert text.splitlines()[1] == ",".join(PUBLISHED_AOR)
    assert ("2025,FYTD,FEB,U.S. Border Patrol,Northern Land Border,Havre Sector,HVM,"
            "Single Adults,VENEZUELA,Title 8,Apprehensions,3") in text  # fmt: skip
    # France and Germany are not named by CBP: one OTHER row of 2
    assert "Single Adults,OTHER,Title 8,Apprehensions,2" in text
    # October 2024 is in FY2025 and comes first (fiscal order)
    assert text.splitlines()[2].startswith("2025,FYTD,OCT,")
    back = parse_cbp_csv(text)
    assert back.total == 6
    assert query(back, ["Month (abbv)"]) == [
        {"month_abbv": "FEB", "encounter_count": 5},
        {"month_abbv": "OCT", "encounter_count": 1},
    ]


def test_citizenship_names() -> None:
    assert cbp_citizenship("MM") == "MYANMAR (BURMA)"
    assert cbp_citizenship("unknown") == "OTHER"
