"""The decision record (``record.py``) as a PDF, with fpdf2 (pure Python).

The built-in Helvetica needs no font file, so the PDF is the same on every machine; it
covers Latin-1, which holds French (é, è, à, ç, É...). The few characters outside it
(typographic quotes and dashes) are written as their ASCII look-alikes. The document's
language is set (``/Lang``) so readers and screen readers know it.
"""

from __future__ import annotations

from typing import Any

from fpdf import FPDF

_LATIN1 = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                         "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u00a0": " ",
                         "\u202f": " ", "\u2265": ">=", "\u2264": "<="})


def _text(value: object) -> str:
    return str(value).translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


class _Record(FPDF):
    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(format="A4")
        self.data = data
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=18)
        self.set_lang(data["lang"])
        self.set_title(_text(f"{data['w']['title']} - {data['case_id']}"))
        self.set_creator("Borderwatch")

    def header(self) -> None:
        if self.data["simulated"]:
            self.set_font("helvetica", "B", 11)
            self.set_text_color(176, 0, 0)
            self.cell(0, 7, _text(self.data["w"]["simulated"]), border=1, align="C",
                      new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
            self.ln(2)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("helvetica", "I", 8)
        self.cell(0, 5, _text(f"{self.data['case_id']} - {self.page_no()}/{{nb}}"),
                  align="C")

    def heading(self, text: str, size: int = 13) -> None:
        self.ln(2)
        self.set_font("helvetica", "B", size)
        self.multi_cell(0, 7, _text(text), new_x="LMARGIN", new_y="NEXT")

    def row(self, label: str, value: object) -> None:
        self.set_font("helvetica", "B", 10)
        self.cell(48, 6, _text(label))
        self.set_font("helvetica", "", 10)
        self.multi_cell(0, 6, _text(value), new_x="LMARGIN", new_y="NEXT")

    def bullets(self, items: list[str]) -> None:
        self.set_font("helvetica", "", 10)
        for item in items:
            self.set_x(self.l_margin + 48)
            self.multi_cell(0, 6, _text(f"- {item}"), new_x="LMARGIN", new_y="NEXT")


def render_pdf(data: dict[str, Any]) -> bytes:
    """The record (``record.record_data``'s dict) as PDF bytes."""
    w = data["w"]
    pdf = _Record(data)
    pdf.add_page()
    pdf.heading(w["title"], 15)
    pdf.row(w["case"], data["case_id"])
    for label, value in data["person"]:
        pdf.row(label, value)
    pdf.row(w["nationalities"], ", ".join(data["nationalities"]) or w["unknown"])
    if data["assumed"]:
        pdf.row(w["assumed"], ", ".join(data["assumed"]))
    where = data["interception"]
    pdf.row(w["interception"], f"{where['time']}, {where['unit']} "
            f"({w['position']} {where['position']})")

    proposal = data["proposal"]
    pdf.heading(w["proposal"])
    pdf.row(w["outcome"], proposal["outcome"])
    if proposal["rule"]:
        pdf.row(w["rule"], proposal["rule"])
    if proposal["exception"]:
        pdf.row(w["exception"], proposal["exception"])
    pdf.row(w["citations"], "")
    pdf.bullets(proposal["citations"])
    pdf.row(w["law_date"], proposal["law_date"] or w["unknown"])
    pdf.row(w["rule_set"], proposal["rule_set"] or w["unknown"])
    if proposal["asked"]:
        pdf.row(w["asked"], "")
        pdf.bullets(proposal["asked"])

    decision = data["decision"]
    pdf.heading(w["decision"])
    pdf.row(w["action"], decision["action"])
    pdf.row(w["decided"], decision["outcome"])
    pdf.row(w["reason"], decision["reason"])
    pdf.row(w["officer"], decision["officer"])
    pdf.row(w["time"], decision["time"])
    pdf.row(w["record"], decision["id"] + (
        f" ({w['replaces']} {decision['replaces']})" if decision["replaces"] else ""))
    if data["earlier"]:
        pdf.heading(w["history"], 11)
        pdf.bullets([f"{d['time']}: {d['action']}, {d['outcome']} - {d['reason']} "
                     f"({d['officer']}, {d['id']})" for d in data["earlier"]])

    pdf.heading(w["removal"])
    pdf.set_font("helvetica", "I", 9)
    pdf.multi_cell(0, 5, _text(w["removal_note"]), new_x="LMARGIN", new_y="NEXT")
    pdf.bullets([f"{r['country']}: {r['status']} ({r['programme']}, {r['as_reported']})"
                 for r in data["removal"]] or [w["none"]])
    pdf.ln(4)
    pdf.set_font("helvetica", "I", 9)
    pdf.multi_cell(0, 5, _text(w["footer"]), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
