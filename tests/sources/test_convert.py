"""Cell converters: currency strings, locale dates and Excel serial dates."""

import pandas as pd

from quotabook.sources.convert import parse_amounts, parse_dates


def test_currency_strings_in_us_and_european_notation_read_as_numbers_with_their_currency():
    cells = pd.Series(["$1,234.50", "1.234,50 €", "EUR 1 234,50", "12,5", "(300)", "1,234", "1200 GBP", None])
    amounts, failed, codes = parse_amounts(cells)
    assert amounts.tolist()[:7] == [1234.5, 1234.5, 1234.5, 12.5, -300.0, 1234.0, 1200.0]
    assert pd.isna(amounts.iloc[7]) and not failed.any()
    assert codes.tolist()[:3] == ["USD", "EUR", "EUR"] and codes.iloc[6] == "GBP" and pd.isna(codes.iloc[3])


def test_an_amount_that_is_not_a_number_is_marked_failed():
    amounts, failed, _ = parse_amounts(pd.Series(["12 apples", "1200"]))
    assert failed.tolist() == [True, False] and amounts.iloc[1] == 1200


def test_forced_decimal_comma_reads_thousands_dots():
    amounts, _, _ = parse_amounts(pd.Series(["1.234", "1.234,5"]), decimal=",")
    assert amounts.tolist() == [1234.0, 1234.5]


def test_dates_in_a_format_iso_and_excel_serial_numbers_all_read():
    text, failed = parse_dates(pd.Series(["01/31/2026", "2026-02-01", "45292", "31.02.2026", None]), "%m/%d/%Y")
    assert text.tolist()[:3] == ["2026-01-31", "2026-02-01", "2024-01-01"]
    assert failed.tolist() == [False, False, False, True, False]
    assert text.iloc[3] == "31.02.2026"  # kept as written, so the reject shows it


def test_datetimes_with_offsets_are_read_as_utc():
    text, failed = parse_dates(pd.Series(["2026-01-05T09:00:00.000+0100"]), keep_time=True)
    assert text.tolist() == ["2026-01-05T08:00:00"] and not failed.any()
