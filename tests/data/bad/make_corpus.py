"""Write the bad-input corpus: one folder per case, each holding the broken file(s) and ``case.yaml``.

Run from anywhere (``python tests/data/bad/make_corpus.py``); the output is committed, so the tests read
files, not this script. Each case is a small overlay on a valid base source in ``_base/`` (canonical folder,
Salesforce export or HubSpot export): the test copies the base, then the case's files over it.

``case.yaml`` keys:

about     what is wrong, in the user's words
source    folder | salesforce | hubspot  (which base the files overlay)
remove    base files to delete first
mapping   overrides merged into the shipped mapping (exports only)
exit      the exit code ``quotabook validate`` must return (0 clean, 1 data rejected)
load      ok | notes | warns | raises: what ``quotabook.load`` does with it (notes: no problem, but a data note
          about rows kept incomplete); ``load_message`` is in the error or the note
problems  every reject expected: file (a suffix), row (null for the whole file), column, reason and a piece
          of the message; no other reason may appear
counts    {table: [read, used, rejected]} for the tables named
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent

TERRITORIES = """\
territory,region,district,owner,segment
T1,East,D,Ann,SMB
T2,West,D,Bob,Enterprise
"""
OPP_HEADER = "opportunity_id,owner,territory,created_date,close_date,stage,forecast_category,amount,is_closed,is_won," \
             "loss_reason\n"
OPP_ROWS = """\
A,Ann,T1,2026-01-05,2026-03-30,Proposal,Commit,1200,false,false,
B,Ann,T1,2026-01-10,2026-02-20,Closed Won,Closed,500,true,true,
C,Bob,T2,2026-02-15,2026-04-30,Discovery,Pipeline,900,false,false,
D,Bob,T2,2026-01-02,2026-02-01,Closed Lost,Omitted,300,true,false,Price
"""
OPPORTUNITIES = OPP_HEADER + OPP_ROWS
HISTORY = """\
opportunity_id,changed_at,stage,amount,close_date,forecast_category,probability
A,2026-01-05T09:00:00,Qualification,1000,2026-02-15,Pipeline,10
A,2026-03-01T16:00:00,Proposal,1200,2026-03-30,Commit,60
B,2026-01-10T08:00:00,Discovery,500,2026-02-28,Pipeline,20
B,2026-02-20T15:00:00,Closed Won,500,2026-02-20,Closed,100
"""
ACTIVITIES = """\
activity_id,owner,activity_date,type,opportunity_id
1,Ann,2026-01-06T10:00:00,meeting_held,A
2,Bob,2026-02-16T10:00:00,dial,C
"""
TARGETS = """\
period,territory,target_amount
2026-Q1,T1,1000
2026-Q1,T2,2000
"""

SF_HEADER = "Id,Name,AccountId,OwnerId,CreatedDate,CloseDate,StageName,ForecastCategoryName,Amount," \
            "CurrencyIsoCode,Probability,IsClosed,IsWon,Type,LeadSource\n"
SF_ROWS = "".join(line + "\n" for line in [
    "006A,Acme,001A,005A,2026-01-05T09:00:00.000+0000,2026-03-30,Proposal/Price Quote,Commit,1200,USD,75,false,false,"
    "New Customer,Web",
    "006B,Beta,001B,005A,2026-01-10T08:00:00.000+0000,2026-02-20,Closed Won,Closed,500,USD,100,true,true,Renewal,"
    "Partner",
    "006C,Gamma,001C,005B,2026-02-15T10:00:00.000+0000,2026-04-30,Needs Analysis,Pipeline,900,USD,20,false,false,,",
    "006D,Delta,001D,005B,2026-01-02T10:00:00.000+0000,2026-02-01,Closed Lost,Omitted,300,USD,0,true,false,,Web",
])
SF_OPPORTUNITY = SF_HEADER + SF_ROWS
SF_HISTORY = """\
OpportunityId,CreatedDate,StageName,Amount,CloseDate,ForecastCategory,Probability
006A,2026-01-05T09:00:00.000+0000,Qualification,1000,2026-02-15,Pipeline,10
006A,2026-03-01T16:00:00.000+0000,Proposal/Price Quote,1200,2026-03-30,Forecast,75
006B,2026-02-20T15:00:00.000+0000,Closed Won,500,2026-02-20,Closed,100
"""
SF_USERS = "Id,Name\n005A,Ann Smith\n005B,Bob Jones\n"
SF_TERRITORIES = "territory,region,district,owner,segment\nT1,East,D,Ann Smith,SMB\nT2,West,D,Bob Jones,Enterprise\n"

HS_HEADER = '"Record ID";"Deal Name";"Deal Stage";"Close Date";"Create Date";"Deal owner";"Amount";"Pipeline";' \
            '"Forecast category";"Deal probability";"Currency"\n'
HS_ROWS = "".join(line + "\n" for line in [
    '"101";"Acme";"Contract Sent";"2026-03-30";"2026-01-05 09:00";"Ann Smith";"1.200,00";"Sales Pipeline";"COMMIT";'
    '"0.9";"USD"',
    '"102";"Beta";"Closed Won";"46073";"46032";"Ann Smith";"$500.00";"Sales Pipeline";"CLOSED";"1";"USD"',
    '"103";"Gamma";"qualifiedtobuy";"2026-04-30";"2026-02-15 10:00";"Bob Jones";"900";"Sales Pipeline";"PIPELINE";'
    '"0.4";""',
])
HS_DEALS = HS_HEADER + HS_ROWS
HS_TERRITORIES = "territory,region,district,owner\nT1,East,D,Ann Smith\nT2,West,D,Bob Jones\n"


def opp(**over: str) -> str:
    """Deal E of the folder base (data row 5), with some fields replaced."""
    row = dict(opportunity_id="E", owner="Ann", territory="T1", created_date="2026-01-01", close_date="2026-03-01",
               stage="Proposal", forecast_category="Commit", amount="10", is_closed="false", is_won="false",
               loss_reason="")
    row.update(over)
    return ",".join(row.values()) + "\n"


def sf_opp(**over: str) -> str:
    """Deal 006E of the Salesforce base (data row 5), with some fields replaced."""
    row = dict(Id="006E", Name="Epsilon", AccountId="001E", OwnerId="005A", CreatedDate="2026-01-01T09:00:00.000+0000",
               CloseDate="2026-03-01", StageName="Prospecting", ForecastCategoryName="Pipeline", Amount="100",
               CurrencyIsoCode="USD", Probability="10", IsClosed="false", IsWon="false", Type="", LeadSource="Web")
    row.update(over)
    return ",".join(row.values()) + "\n"


def hs_deal(**over: str) -> str:
    """Deal 104 of the HubSpot base (data row 4), with some fields replaced."""
    row = {"Record ID": "104", "Deal Name": "Delta", "Deal Stage": "Closed Lost", "Close Date": "2026-02-01",
           "Create Date": "2026-01-02 10:00", "Deal owner": "Bob Jones", "Amount": "300", "Pipeline": "Sales Pipeline",
           "Forecast category": "OMIT", "Deal probability": "0", "Currency": "USD"}
    row.update(over)
    return ";".join(f'"{v}"' for v in row.values()) + "\n"


def parquet_bytes(text: str) -> bytes:
    buf = io.BytesIO()
    pd.read_csv(io.StringIO(text), dtype=str).to_parquet(buf, index=False)
    return buf.getvalue()


def P(file, row, column, reason, message):
    return {"file": file, "row": row, "column": column, "reason": reason, "message": message}


OPP, S, H = "opportunities.csv", "Opportunity.csv", "hubspot-crm-exports-all-deals.csv"
# What rejecting deals does to the rows that refer to them: they go too, and say why.
CASCADE_REJECTED = P("opportunity_history.csv", 1, "opportunity_id", "unknown_opportunity", "that was rejected (see")
CASCADE_WHOLE = P("opportunity_history.csv", 1, "opportunity_id", "unknown_opportunity",
                  "but every row of opportunities.csv was rejected")
CASCADE_NONE = P("opportunity_history.csv", 1, "opportunity_id", "unknown_opportunity", "not in opportunities")
SF_REJECTED = P("OpportunityHistory.csv", 1, "opportunity_id", "unknown_opportunity", "that was rejected (see")
SF_WHOLE = P("OpportunityHistory.csv", 1, "opportunity_id", "unknown_opportunity",
             "but every row of Opportunity.csv was rejected")
SF_NONE = P("OpportunityHistory.csv", 1, "opportunity_id", "unknown_opportunity", "not in opportunities")
CASES: dict[str, dict] = {
    # -- truncated files -----------------------------------------------------------------------------------
    "csv_cut_mid_row": dict(
        about="the download stopped in the middle of the last row",
        files={OPP: OPPORTUNITIES + "E,Ann,T1,2026-01-0"}, exit=1, load="warns",
        problems=[P(OPP, 5, None, "malformed_row", "cut short: 4 of 11 fields")],
        counts={"opportunities": [5, 4, 1]}),
    "csv_extra_field": dict(
        about="an unquoted thousands separator splits the amount into two fields",
        files={OPP: OPPORTUNITIES + opp(amount="1,234")}, exit=1, load="warns",
        problems=[P(OPP, 5, None, "malformed_row", "12 fields where the header has 11")],
        counts={"opportunities": [5, 4, 1]}),
    "csv_extra_field_first_row": dict(
        about="the first row has a field too many (pandas would take the ids for an index and shift the rest)",
        files={OPP: OPP_HEADER + opp(amount="1,200") + OPP_ROWS}, exit=1, load="warns",
        problems=[P(OPP, 1, None, "malformed_row", "data row 1 has 12 fields where the header has 11")],
        counts={"opportunities": [5, 4, 1]}),
    "parquet_truncated": dict(
        about="a Parquet file cut to half its size",
        files={"opportunities.parquet": parquet_bytes(OPPORTUNITIES)[:700]}, remove=["opportunities.csv"], exit=1,
        load="raises",
        load_message="not a readable Parquet file",
        problems=[P("opportunities.parquet", None, None, "unreadable_file", "not a readable Parquet file")]),
    "parquet_not_parquet": dict(
        about="a text file saved with a .parquet name (optional table)",
        files={"activities.parquet": b"activity_id,owner\n1,Ann\n"}, remove=["activities.csv"], exit=1, load="warns",
        problems=[P("activities.parquet", None, None, "unreadable_file", "not a readable Parquet file")]),
    # -- encodings and BOMs --------------------------------------------------------------------------------
    "latin1_csv": dict(
        about="a CSV saved as Latin-1 (Windows-1252) instead of UTF-8",
        files={OPP: (OPPORTUNITIES + opp(owner="Zoë")).encode("latin-1")}, exit=1, load="raises",
        load_message="not UTF-8 text",
        problems=[P(OPP, None, None, "unreadable_file", "not UTF-8 text: byte 0xeb on line 6")]),
    "utf16_csv": dict(
        about="a CSV saved as UTF-16 (Excel's 'Unicode text')",
        files={OPP: OPPORTUNITIES.encode("utf-16")}, exit=1, load="raises", load_message="UTF-16",
        problems=[P(OPP, None, None, "unreadable_file", "UTF-16 text (byte-order mark")]),
    "utf8_bom": dict(
        about="a UTF-8 CSV with a byte-order mark, as Excel writes it: read as it is",
        files={OPP: b"\xef\xbb\xbf" + OPPORTUNITIES.encode()}, exit=0, load="ok", problems=[],
        counts={"opportunities": [4, 4, 0]}),
    "binary_garbage": dict(
        about="binary bytes saved as a CSV",
        files={"territories.csv": bytes(range(256)) * 4}, exit=1, load="raises", load_message="binary",
        problems=[P("territories.csv", None, None, "unreadable_file", "binary data, not CSV text")]),
    # -- delimiters -----------------------------------------------------------------------------------------
    "semicolon_delimiter": dict(
        about="a CSV saved with semicolons (European Excel)",
        files={OPP: OPPORTUNITIES.replace(",", ";")}, exit=1, load="raises", load_message="splits on ';'",
        problems=[CASCADE_WHOLE, P(OPP, None, None, "wrong_delimiter", "the header splits on ';', not ','")],
        counts={"opportunities": [4, 0, 4]}),
    "tab_delimiter": dict(
        about="a tab-separated file saved as .csv",
        files={"targets.csv": TARGETS.replace(",", "\t")}, exit=1, load="warns",
        problems=[P("targets.csv", None, None, "wrong_delimiter", 'the header splits on "\\t", not \',\'')],
        counts={"targets": [2, 0, 2]}),
    # -- dates ----------------------------------------------------------------------------------------------
    "excel_serial_date": dict(
        about="a created date pasted from Excel as its serial day number",
        files={OPP: OPPORTUNITIES + opp(created_date="46032")}, exit=1, load="warns",
        problems=[P(OPP, 5, "created_date", "bad_date", "an Excel serial day number (46032 = 2026-01-10)")],
        counts={"opportunities": [5, 4, 1]}),
    "day_month_ambiguous": dict(
        about="03/04/2026: 3 April or 4 March?",
        files={OPP: OPPORTUNITIES + opp(close_date="03/04/2026")}, exit=1, load="warns",
        problems=[P(OPP, 5, "close_date", "bad_date", "day/month order is ambiguous")],
        counts={"opportunities": [5, 4, 1]}),
    "future_created_date": dict(
        about="a deal created in 2099",
        files={OPP: OPPORTUNITIES + opp(created_date="2099-01-01", close_date="2099-03-01")}, exit=1,
        load="warns", problems=[P(OPP, 5, "created_date", "future_date", "is in the future")],
        counts={"opportunities": [5, 4, 1]}),
    "future_history_change": dict(
        about="a history row stamped in 2098",
        files={"opportunity_history.csv": HISTORY + "C,2098-01-01T10:00:00,Discovery,900,2098-04-30,Pipeline,20\n"},
        exit=1, load="warns",
        problems=[P("opportunity_history.csv", 5, "changed_at", "future_date", "is in the future")],
        counts={"opportunity_history": [5, 4, 1]}),
    "year_out_of_range": dict(
        about="a typo puts the close date in year 20260",
        files={OPP: OPPORTUNITIES + opp(close_date="20260-03-01")}, exit=1, load="warns",
        problems=[P(OPP, 5, "close_date", "bad_date", "expected ISO format YYYY-MM-DD")]),
    "close_before_create": dict(
        about="the close date is before the created date",
        files={OPP: OPPORTUNITIES + opp(created_date="2026-03-01", close_date="2026-01-01")}, exit=1, load="warns",
        problems=[P(OPP, 5, "created_date, close_date", "close_before_create", "close date is before the created")],
        counts={"opportunities": [5, 4, 1]}),
    # -- numbers --------------------------------------------------------------------------------------------
    "currency_string_dollar": dict(
        about='an amount written "$1,234.50" in a canonical file',
        files={OPP: OPPORTUNITIES + opp(amount='"$1,234.50"')}, exit=1, load="warns",
        problems=[P(OPP, 5, "amount", "bad_number", "a currency string, not a plain number")],
        counts={"opportunities": [5, 4, 1]}),
    "currency_string_euro": dict(
        about='an amount written "1.234,50 €" in a canonical file',
        files={OPP: OPPORTUNITIES + opp(amount='"1.234,50 €"')}, exit=1, load="warns",
        problems=[P(OPP, 5, "amount", "bad_number", "a currency string, not a plain number")]),
    "thousands_separator": dict(
        about='an amount written "1,234" (quoted, so the CSV still parses)',
        files={OPP: OPPORTUNITIES + opp(amount='"1,234"')}, exit=1, load="warns",
        problems=[P(OPP, 5, "amount", "bad_number", "thousands separator")]),
    "negative_amount": dict(
        about="a negative deal amount",
        files={OPP: OPPORTUNITIES + opp(amount="-500")}, exit=1, load="warns",
        problems=[P(OPP, 5, "amount", "negative_amount", "amount is negative")],
        counts={"opportunities": [5, 4, 1]}),
    "absurd_amount": dict(
        about="a deal worth 5e15 (a typo or the wrong units)",
        files={OPP: OPPORTUNITIES + opp(amount="5e15")}, exit=1, load="warns",
        problems=[P(OPP, 5, "amount", "out_of_range", "allowed range: 0 to 1,000,000,000,000")]),
    "infinite_amount": dict(
        about="an amount of inf",
        files={OPP: OPPORTUNITIES + opp(amount="inf")}, exit=1, load="warns",
        problems=[P(OPP, 5, "amount", "bad_number", "not a finite number")]),
    "probability_over_100": dict(
        about="a history probability of 150",
        files={"opportunity_history.csv": HISTORY + "C,2026-02-15T10:00:00,Discovery,900,2026-04-30,Pipeline,150\n"},
        exit=1, load="warns",
        problems=[P("opportunity_history.csv", 5, "probability", "out_of_range", "allowed range: 0 to 100")]),
    # -- nulls ----------------------------------------------------------------------------------------------
    "region_named_like_keyword": dict(
        about="regions named ALL and district: data like any other (validate warns that 'district' is the "
              "keyword of the whole scope, so that region is selected as region:district)",
        files={"territories.csv": TERRITORIES.replace("T1,East", "T1,ALL").replace("T2,West", "T2,district")},
        exit=0, load="ok", problems=[], counts={"territories": [2, 2, 0]}),
    "null_strings_required": dict(
        about='"null", "None" and "NaN" where a value is required',
        files={OPP: OPPORTUNITIES + opp(opportunity_id="null") + opp(opportunity_id="F", owner="None")
               + opp(opportunity_id="G", amount="NaN", stage="Closed Won", forecast_category="Closed",
                     is_closed="true", is_won="true")}, exit=1, load="warns",
        problems=[P(OPP, 5, "opportunity_id", "missing_value", "a required value is empty"),
                  P(OPP, 6, "owner", "missing_value", "a required value is empty"),
                  P(OPP, 7, "amount", "missing_value", "a closed deal needs its amount")],
        counts={"opportunities": [7, 4, 3]}),
    "open_deal_blanks": dict(
        about="open deals without an amount, a close date or a created date (early-stage deals in real CRMs): "
              "kept, counted and named in one data note",
        files={OPP: OPPORTUNITIES + opp(amount="") + opp(opportunity_id="F", close_date="null")
               + opp(opportunity_id="G", created_date="")}, exit=0, load="notes",
        load_message=r"3 open deals are kept with blanks",
        problems=[], counts={"opportunities": [7, 7, 0]}),
    "closed_deal_blanks": dict(
        about="closed deals without a close date (no period to place them in) or an amount (no value won)",
        files={OPP: OPPORTUNITIES + opp(close_date="", stage="Closed Won", forecast_category="Closed",
                                        is_closed="true", is_won="true")
               + opp(opportunity_id="F", amount="", stage="Closed Lost", forecast_category="Omitted",
                     is_closed="true", is_won="false")}, exit=1, load="warns",
        problems=[P(OPP, 5, "close_date", "missing_value", "a closed deal needs its close date"),
                  P(OPP, 6, "amount", "missing_value", "a closed deal needs its amount")],
        counts={"opportunities": [6, 4, 2]}),
    "rejected_deal_keeps_activities": dict(
        about="a deal rejected for its amount: its activities are kept without it, its history goes with it",
        files={OPP: OPPORTUNITIES + opp(amount="-500"),
               "activities.csv": ACTIVITIES + "3,Ann,2026-01-07T10:00:00,dial,E\n4,Ann,2026-01-08T10:00:00,email,E\n",
               "opportunity_history.csv": HISTORY + "E,2026-01-01T09:00:00,Discovery,10,2026-03-01,Pipeline,10\n"},
        exit=1, load="warns",
        problems=[P(OPP, 5, "amount", "negative_amount", "amount is negative"),
                  P("opportunity_history.csv", 5, "opportunity_id", "unknown_opportunity",
                    "cannot be placed without the deal")],
        counts={"opportunities": [5, 4, 1], "activities": [4, 4, 0], "opportunity_history": [5, 4, 1]}),
    "two_files_one_table": dict(
        about="opportunities.csv next to opportunities.parquet (an edit to one would be ignored)",
        files={"opportunities.parquet": parquet_bytes(OPPORTUNITIES)}, exit=1, load="raises",
        load_message="cannot tell which one is current",
        problems=[P("opportunities.csv", None, None, "ambiguous_file",
                    "table 'opportunities' is in 2 files, opportunities.parquet and opportunities.csv")]),
    "null_strings_optional": dict(
        about='"null" and "None" in optional columns are blanks, not values',
        files={OPP: OPPORTUNITIES + opp(forecast_category="None", loss_reason="null")}, exit=0, load="ok",
        problems=[], counts={"opportunities": [5, 5, 0]}),
    "bad_boolean": dict(
        about="is_closed is 'maybe'",
        files={OPP: OPPORTUNITIES + opp(is_closed="maybe")}, exit=1, load="warns",
        problems=[P(OPP, 5, "is_closed", "bad_boolean", "not a boolean")]),
    # -- keys and references --------------------------------------------------------------------------------
    "duplicate_ids_conflicting": dict(
        about="deal A twice with different amounts: neither copy can be trusted",
        files={OPP: OPPORTUNITIES + opp(opportunity_id="A", amount="9999")}, exit=1, load="warns",
        problems=[CASCADE_REJECTED, P(OPP, 1, "opportunity_id", "duplicate_id", "different values"),
                  P(OPP, 5, "opportunity_id", "duplicate_id", "different values")],
        counts={"opportunities": [5, 3, 2]}),
    "history_unknown_deal": dict(
        about="history rows for a deal that is not in opportunities",
        files={"opportunity_history.csv": HISTORY + "ZZ,2026-01-01T10:00:00,Discovery,10,2026-02-01,Pipeline,10\n"},
        exit=1, load="warns",
        problems=[P("opportunity_history.csv", 5, "opportunity_id", "unknown_opportunity", "not in opportunities")],
        counts={"opportunity_history": [5, 4, 1]}),
    "territory_not_in_table": dict(
        about="a deal in territory T9, which territories does not list",
        files={OPP: OPPORTUNITIES + opp(territory="T9")}, exit=1, load="warns",
        problems=[P(OPP, 5, "territory", "unknown_territory", "not in territories")],
        counts={"opportunities": [5, 4, 1]}),
    "region_of_spaces": dict(
        about="territory T1's region is only spaces: its deals, their history and its targets follow it out",
        files={"territories.csv": TERRITORIES.replace("T1,East,", "T1,   ,")}, exit=1, load="warns",
        problems=[P("territories.csv", 1, "region", "missing_value", "a required value is empty"),
                  P(OPP, 1, "territory", "unknown_territory", "refers to a territory that was rejected"),
                  P("opportunity_history.csv", 1, "opportunity_id", "unknown_opportunity",
                    "refers to an opportunity that was rejected")],
        counts={"territories": [2, 1, 1]}),
    "targets_unknown_territory": dict(
        about="a target for territory T9",
        files={"targets.csv": TARGETS + "2026-Q1,T9,5000\n"}, exit=1, load="warns",
        problems=[P("targets.csv", 3, "territory", "unknown_territory", "not in territories")],
        counts={"targets": [3, 2, 1]}),
    "bad_period": dict(
        about="a target period written 'Q1 2026'",
        files={"targets.csv": TARGETS + "Q1 2026,T1,5000\n"}, exit=1, load="warns",
        problems=[P("targets.csv", 3, "period", "bad_period", "fiscal quarter like 2026-Q3")]),
    "missing_required_column": dict(
        about="opportunities without its stage column",
        files={OPP: "opportunity_id,owner,territory,created_date,close_date,amount,is_closed,is_won\n"
                  "A,Ann,T1,2026-01-05,2026-03-30,1200,false,false\n"}, exit=1, load="raises",
        load_message="stage",
        problems=[CASCADE_WHOLE, P(OPP, None, "stage", "missing_column", "required column missing: stage")],
        counts={"opportunities": [1, 0, 1]}),
    "missing_required_table": dict(
        about="no territories file at all", remove=["territories.csv"], exit=1, load="raises",
        load_message="territories",
        problems=[P("territories.parquet|.csv", None, None, "missing_table", "required table 'territories'")]),
    # -- empty tables ---------------------------------------------------------------------------------------
    "header_only": dict(
        about="opportunities has its header and no rows", files={OPP: OPP_HEADER}, exit=1, load="raises",
        load_message="no data rows",
        problems=[CASCADE_NONE, P(OPP, None, None, "empty_file", "the file has no data rows")]),
    "zero_bytes_required": dict(
        about="territories.csv is an empty (0-byte) file", files={"territories.csv": b""}, exit=1,
        load="raises", load_message="0 bytes",
        problems=[P("territories.csv", None, None, "empty_file", "the file is empty (0 bytes)")]),
    "zero_bytes_optional": dict(
        about="activities.csv is an empty (0-byte) file", files={"activities.csv": b""}, exit=1, load="warns",
        problems=[P("activities.csv", None, None, "empty_file", "the file is empty (0 bytes)")]),
    # == mapped exports (issue 7) ===========================================================================
    "sf_semicolon_delimiter": dict(
        about="a Salesforce export saved with semicolons", source="salesforce",
        files={S: SF_OPPORTUNITY.replace(",", ";")}, exit=1, load="raises", load_message="splits on ';'",
        problems=[SF_WHOLE,
                  P(S, None, None, "wrong_delimiter", "set tables.opportunities.delimiter: ';' in mapping.yaml")],
        counts={"opportunities": [4, 0, 4]}),
    "sf_tab_delimiter": dict(
        about="a Salesforce history export saved tab-separated", source="salesforce",
        files={"OpportunityHistory.csv": SF_HISTORY.replace(",", "\t")}, exit=1, load="warns",
        problems=[P("OpportunityHistory.csv", None, None, "wrong_delimiter",
                    'set tables.opportunity_history.delimiter: "\\t"')],
        counts={"opportunity_history": [3, 0, 3]}),
    "sf_utf8_bom": dict(
        about="a Salesforce export with a UTF-8 byte-order mark: read as it is", source="salesforce",
        files={S: b"\xef\xbb\xbf" + SF_OPPORTUNITY.encode()}, exit=0, load="ok", problems=[],
        counts={"opportunities": [4, 4, 0]}),
    "sf_latin1": dict(
        about="a Salesforce export in Windows-1252", source="salesforce",
        files={S: (SF_OPPORTUNITY + sf_opp(Name="Société Générale")).encode("cp1252")}, exit=1, load="raises",
        load_message="encoding",
        problems=[P(S, None, None, "unreadable_file",
                    "set tables.opportunities.encoding in mapping.yaml (e.g. latin-1 or cp1252)")]),
    "sf_utf16": dict(
        about="a Salesforce export in UTF-16", source="salesforce",
        files={S: SF_OPPORTUNITY.encode("utf-16")}, exit=1, load="raises", load_message="UTF-16",
        problems=[P(S, None, None, "unreadable_file", "set tables.opportunities.encoding in mapping.yaml to utf-16")]),
    "sf_cut_mid_row": dict(
        about="a Salesforce export cut in the middle of its last row", source="salesforce",
        files={S: SF_OPPORTUNITY + "006E,Epsilon,001E,005A,2026-01-0"}, exit=1, load="warns",
        problems=[P(S, 5, None, "malformed_row", "cut short: 5 of 15 fields")],
        counts={"opportunities": [5, 4, 1]}),
    "sf_excel_dates": dict(
        about="close dates as Excel serial numbers: converted", source="salesforce",
        files={S: SF_OPPORTUNITY + sf_opp(CloseDate="46111")}, exit=0, load="ok", problems=[],
        counts={"opportunities": [5, 5, 0]}),
    "sf_excel_date_out_of_range": dict(
        about="a close date of 99999999: neither a date nor an Excel serial", source="salesforce",
        files={S: SF_OPPORTUNITY + sf_opp(CloseDate="99999999")}, exit=1, load="warns",
        problems=[P(S, 5, "close_date", "bad_date", "not a date in ISO 8601 (YYYY-MM-DD) or an Excel serial")],
        counts={"opportunities": [5, 4, 1]}),
    "sf_day_month_ambiguous": dict(
        about="a dd/mm close date where the mapping says %m/%d/%Y", source="salesforce",
        mapping={"tables": {"opportunities": {"date_format": "%m/%d/%Y"}}},
        files={S: SF_OPPORTUNITY + sf_opp(CloseDate="13/04/2026")}, exit=1, load="warns",
        problems=[P(S, 5, "close_date", "bad_date", "not a date in %m/%d/%Y")],
        counts={"opportunities": [5, 4, 1]}),
    "sf_currency_strings": dict(
        about='amounts written "$1,234.50" and "1.234,50 €": read, and the € one converted', source="salesforce",
        files={S: SF_OPPORTUNITY + sf_opp(Amount='"$1,234.50"', CurrencyIsoCode="")
               + sf_opp(Id="006F", Amount='"1.234,50 €"', CurrencyIsoCode="")}, exit=0, load="ok", problems=[],
        counts={"opportunities": [6, 6, 0]}),
    "sf_bad_amount": dict(
        about="an amount of 'twelve hundred'", source="salesforce",
        files={S: SF_OPPORTUNITY + sf_opp(Amount="twelve hundred")}, exit=1, load="warns",
        problems=[P(S, 5, "amount", "bad_number", "not an amount (expected e.g. 1234.50, $1,234.50")],
        counts={"opportunities": [5, 4, 1]}),
    "sf_negative_amount": dict(
        about="an amount of (1,000.00), accounting style for negative", source="salesforce",
        files={S: SF_OPPORTUNITY + sf_opp(Amount='"(1,000.00)"')}, exit=1, load="warns",
        problems=[P(S, 5, "amount", "negative_amount", "amount is negative")],
        counts={"opportunities": [5, 4, 1]}),
    "sf_unknown_currency": dict(
        about="a deal in XYZ, which the rates table lacks", source="salesforce",
        files={S: SF_OPPORTUNITY + sf_opp(CurrencyIsoCode="XYZ")}, exit=1, load="warns",
        problems=[P(S, 5, "currency", "unknown_currency", "no exchange rate for 'XYZ'")],
        counts={"opportunities": [5, 4, 1]}),
    "sf_missing_column": dict(
        about="an Opportunity export without StageName", source="salesforce",
        files={S: SF_OPPORTUNITY.replace("StageName", "Stage_Name")}, exit=1, load="raises",
        load_message="StageName",
        problems=[SF_WHOLE, P(S, None, "stage", "missing_column", "no column 'StageName' or 'Stage' (for stage)")],
        counts={"opportunities": [4, 0, 4]}),
    "sf_unknown_stage": dict(
        about="a custom stage the mapping does not know", source="salesforce",
        files={S: SF_OPPORTUNITY + sf_opp(StageName="Parked")}, exit=1, load="warns",
        problems=[P(S, 5, "stage", "unknown_stage", "not in tables.opportunities.values.stage of mapping.yaml")],
        counts={"opportunities": [5, 4, 1]}),
    "sf_duplicate_ids": dict(
        about="deal 006A exported twice with different amounts", source="salesforce",
        files={S: SF_OPPORTUNITY + sf_opp(Id="006A", Amount="5000")}, exit=1, load="warns",
        problems=[SF_REJECTED, P(S, 1, "opportunity_id", "duplicate_id", "different values"),
                  P(S, 5, "opportunity_id", "duplicate_id", "different values")],
        counts={"opportunities": [5, 3, 2]}),
    "sf_history_unknown_deal": dict(
        about="history rows for deal 006Z, absent from the Opportunity export", source="salesforce",
        files={"OpportunityHistory.csv": SF_HISTORY + "006Z,2026-01-05T09:00:00.000+0000,Prospecting,10,2026-02-15,"
                                                      "Pipeline,10\n"}, exit=1, load="warns",
        problems=[P("OpportunityHistory.csv", 4, "opportunity_id", "unknown_opportunity", "not in opportunities")],
        counts={"opportunity_history": [4, 3, 1]}),
    "sf_owner_without_territory": dict(
        about="a deal owned by a user who has no territory", source="salesforce",
        files={S: SF_OPPORTUNITY + sf_opp(OwnerId="005C")}, exit=1, load="warns",
        problems=[P(S, 5, "territory", "unknown_territory", "owner value not found in territories (owner)")],
        counts={"opportunities": [5, 4, 1]}),
    "sf_future_created": dict(
        about="a deal created in 2099", source="salesforce",
        files={S: SF_OPPORTUNITY + sf_opp(CreatedDate="2099-01-01T09:00:00.000+0000", CloseDate="2099-06-01")},
        exit=1, load="warns", problems=[P(S, 5, "created_date", "future_date", "is in the future")],
        counts={"opportunities": [5, 4, 1]}),
    "sf_zero_bytes": dict(
        about="an empty (0-byte) Opportunity export", source="salesforce", files={S: b""}, exit=1, load="raises",
        load_message="0 bytes", problems=[P(S, None, None, "empty_file", "the file is empty (0 bytes)")]),
    "sf_header_only": dict(
        about="an Opportunity export with its header and no rows", source="salesforce", files={S: SF_HEADER},
        exit=1, load="raises", load_message="no data rows",
        problems=[SF_NONE, P(S, None, None, "empty_file", "the file has no data rows")]),
    "hs_comma_not_semicolon": dict(
        about="a HubSpot export saved with commas where the mapping says ';'", source="hubspot",
        files={H: HS_DEALS.replace(";", ",")}, exit=1, load="raises", load_message="splits on ','",
        problems=[P(H, None, None, "wrong_delimiter", "the header splits on ',', not ';'")],
        counts={"opportunities": [3, 0, 3]}),
    "hs_unknown_stage": dict(
        about="a HubSpot deal in a custom pipeline stage", source="hubspot",
        files={H: HS_DEALS + hs_deal(**{"Deal Stage": "1234567"})}, exit=1, load="warns",
        problems=[P(H, 4, "stage", "unknown_stage", "not in tables.opportunities.values.stage")],
        counts={"opportunities": [4, 3, 1]}),
    "hs_missing_column": dict(
        about="a HubSpot export without Close Date", source="hubspot",
        files={H: HS_DEALS.replace('"Close Date"', '"Closing"')}, exit=1, load="raises",
        load_message="Close Date",
        problems=[P(H, None, "close_date", "missing_column", "no column 'Close Date' or 'closedate' (for close_date)")],
        counts={"opportunities": [3, 0, 3]}),
    "hs_bad_currency_string": dict(
        about="an amount of '1.2.3 €'", source="hubspot",
        files={H: HS_DEALS + hs_deal(Amount="1.2.3 €")}, exit=1, load="warns",
        problems=[P(H, 4, "amount", "bad_number", "not an amount")],
        counts={"opportunities": [4, 3, 1]}),
}

BASES = {
    "folder": {"territories.csv": TERRITORIES, OPP: OPPORTUNITIES, "opportunity_history.csv": HISTORY,
               "activities.csv": ACTIVITIES, "targets.csv": TARGETS},
    "salesforce": {S: SF_OPPORTUNITY, "OpportunityHistory.csv": SF_HISTORY, "User.csv": SF_USERS,
                   "Territories.csv": SF_TERRITORIES},
    "hubspot": {H: b"\xef\xbb\xbf" + HS_DEALS.encode(), "territories.csv": HS_TERRITORIES},
}


def _write(folder: Path, files: dict[str, str | bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (folder / name).write_bytes(data)


def main() -> None:
    for name in [p.name for p in HERE.iterdir() if p.is_dir()]:
        shutil.rmtree(HERE / name)
    for base, files in BASES.items():
        _write(HERE / "_base" / base, files)
    for name, case in CASES.items():
        folder = HERE / name
        _write(folder, case.get("files", {}))
        meta = {k: v for k, v in case.items() if k != "files"}
        meta.setdefault("source", "folder")
        (folder / "case.yaml").write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8")
    print(f"{len(CASES)} cases written to {HERE}")


if __name__ == "__main__":
    main()
