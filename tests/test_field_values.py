"""Values written the way business texts write them, read without changing their meaning (extract's field checks).

Found by an audit of the field types (2026-12-02): each case below was read wrongly before, most of them silently."""

from __future__ import annotations

import re

import pytest

from workbench.tasks.amounts import money_in
from workbench.tasks.fields import FieldSpec, Rejected, normalise, outside_dates, reviewed_value

MONEY, NUMBER, PHONE, DATE, EMAIL = (FieldSpec(name="f", type=kind) for kind in ("money", "number", "phone", "date", "email"))


@pytest.mark.parametrize(("source", "value", "tidy"), [
    ("transferred Rs. 5 lakh", "5", "500000.00 INR"), ("INR 2 crore", "2", "20000000.00 INR"),
    ("a $5 mn deal", "5", "5000000.00 USD"), ("Q2 revenue was €2.5 mln", "2.5", "2500000.00 EUR"),
    ("diesel averaged $3.499 per gallon", "3.499", "3.499 USD"), ("Diesel: 1.799 €/l", "1.799", "1.799 EUR"),
    ("petrol is £1.459 a litre", "£1.459", "1.459 GBP"), ("Salary £2.000 gross", "£2.000", "2000.00 GBP"),
    ("Preis: 1.299 €", "1.299", "1299.00 EUR"), ("R$ 1.299 à vista", "1.299", "1299.00 BRL"),  # thousands there
    ("Plan (2) $49.99 per month", "(2) $49.99", "49.99 USD"),  # a count in brackets, then the price
    ("Plan (2) USD 49.99", "(2) USD 49.99", "49.99 USD"),
    ("$1.500 pesos chilenos", "1.500", "1500.00 USD"),  # thousands, as Chile writes them
    ("Credit note: (200) USD", "(200)", "-200.00 USD"), ("(1,250.00) USD", "1,250.00", "-1250.00 USD"),
    ("HKD 500 deposit", "500", "500.00 HKD"), ("100 zł", "100", "100.00 PLN"), ("2,000 yen", "2,000", "2000.00 JPY"),
    ("TRY 50", "50", "50.00 TRY"), ("₩100", "100", "100.00 KRW"),
    ("Wir bestellen 1.500 Stück zum Preis von 12,50 € pro Stück", "1.500 Stück zum Preis von 12,50 €", "12.50 EUR"),
])
def test_amounts_of_money_keep_their_scale_decimals_sign_and_currency(source, value, tidy):
    assert normalise(MONEY, value, source) == tidy


def test_a_code_that_is_also_a_word_is_a_currency_only_in_capitals():
    with pytest.raises(Rejected, match="no currency"):
        normalise(MONEY, "50", "I had to try 50 times")


def test_a_reviewer_keeping_the_models_amount_keeps_it_as_written():
    """ "3.499 USD", a price per gallon, read again as typed is 3,499: a value left as the model wrote it stays."""
    from workbench.tasks.spec import spec_from_dict

    spec = spec_from_dict({"task": "extract", "text": "Body", "fields": [{"name": "price", "type": "money"}]})
    assert spec.reviewed_answers({"price": "3.499 USD"}, {"price": "3.499 USD"}) == {"price": "3.499 USD"}
    assert spec.reviewed_answers({"price": "1.299 EUR"}, {"price": "3.499 USD"}) == {"price": "1299.00 EUR"}
    assert money_in("1.299 €") == (1299.0, "EUR")


@pytest.mark.parametrize(("source", "value", "number"), [
    ("Menge: 1.500 Stück", "1.500", 1500), ("Headcount stayed at 1.200 employees", "1.200", 1200),
    ("2.500 Besucher", "2.500", 2500),
    ("10k users signed up", "10k", 10_000), ("2 million users", "2", 2_000_000), ("we used 12k gallons", "12k", 12_000),
    ("1.500 million", "1.500", 1_500_000), ("Preis 12,50 € für 1.500 Schrauben", "1.500", 1500),  # a decimal comma
    ("a 1.500 mm pipe", "1.500", 1.5), ("rate 1.500%", "1.500", 1.5), ("5m wide", "5", 5),  # measures keep decimals
    ("weighs 1.250 kilograms", "1.250", 1.25), ("rated 4.500 out of 5", "4.500", 4.5), ("sent 1.250 ETH", "1.250", 1.25),
    ("6 mil plastic sheeting", "6", 6), ("attendre 5 mn", "5", 5), ("Asistieron 5 mil personas", "5", 5),
])
def test_counts_read_their_thousands_and_scale_and_measures_their_decimals(source, value, number):
    assert normalise(NUMBER, value, source) == number


@pytest.mark.parametrize(("source", "value", "whole"), [
    ("Call +1 555 123 4567 today", "+1 555 123", "+15551234567"), ("ring 020 7946 0958", "020 7946", "02079460958"),
])
def test_a_phone_number_the_model_cut_short_is_kept_whole_and_said(source, value, whole):
    with pytest.raises(Rejected, match=re.escape(f"only the start of the number {whole}")) as cut:
        normalise(PHONE, value, source)
    assert cut.value.kept == whole


@pytest.mark.parametrize("source", [
    "card number 1234 5678 9012 3456", "User ID: 7781234", "Customer number 4455667", "VAT no. 123456789",
    "Contract no. 123456", "Member ID 98765432", "PIN 123456", "Serial number 5512345678",
])
def test_ids_and_account_numbers_are_no_phone_numbers(source):
    with pytest.raises(Rejected, match="another kind of number|not a phone number"):
        normalise(PHONE, source.split()[-1] if "card" not in source else "1234 5678 9012 3456", source)


def test_a_card_number_is_no_phone_number_even_copied_in_part():
    with pytest.raises(Rejected, match="not a phone number") as dropped:
        normalise(PHONE, "1234 5678", "card 1234 5678 9012 3456")  # 16 digits: more than any phone number has
    assert dropped.value.kept is None


@pytest.mark.parametrize(("source", "value", "phone"), [
    ("call the number on your card: 0800 123 456", "0800 123 456", "0800123456"),
    ("portable: 06.12.34.56.78", "06.12.34.56.78", "0612345678"),  # no date in it
    ("call 1-800-356-9377", "800-356-9377", "18003569377"),
    ("Call 0800 123 4567 24/7", "0800 123 4567", "08001234567"), ("Tel 07700 900123 2 lines", "07700 900123", "07700900123"),
    ("Tel 020 7946 0958 123 Main St", "020 7946 0958", "02079460958"), ("(555) 123-4567 2024", "(555) 123-4567", "5551234567"),
    ("Tel. +49 30 1234567 10115 Berlin", "+49 30 1234567", "+49301234567"),  # a whole number: what follows is not its
    ("Call 020 7946 0958 9am-5pm", "020 7946 0958", "02079460958"),  # a short number after it is not its part
    ("Caller ID 07700 900123", "07700 900123", "07700900123"), ("new SIM card 07700 900123", "07700 900123", "07700900123"),
])
def test_phone_numbers_written_in_more_ways_are_read(source, value, phone):
    assert normalise(PHONE, value, source) == phone


@pytest.mark.parametrize(("typed", "phone"), [
    ("+44 (0)20 7946 0958", "+442079460958"), ("555-123-4567 ext. 204", "5551234567"), ("0049 30 123456", "+4930123456"),
])
def test_a_reviewers_phone_number_takes_the_form_the_models_answers_take(typed, phone):
    assert reviewed_value(PHONE, typed) == phone


@pytest.mark.parametrize(("source", "value", "iso"), [
    ("Urlaub 23.12.2024-02.01.2025", "23.12.2024", "2024-12-23"), ("from 2024-03-05/2024-03-10", "2024-03-10", "2024-03-10"),
    ("05/03/2024-06/03/2024", "06/03/2024", "2024-03-06"), ("Attached: invoice_2024-03-05.pdf", "2024-03-05", "2024-03-05"),
    ("Rechnung v.05.03.2024", "05.03.2024", "2024-03-05"), ("INV2024-03-05", "2024-03-05", "2024-03-05"),
])
def test_dates_of_a_range_or_a_file_name_are_read(source, value, iso):
    assert normalise(DATE, value, source, day_first=True) == iso


@pytest.mark.parametrize(("source", "value"), [
    ("updating to version 2.4.1 today", "2.4.1"), ("version 2.4.1", "2001-02-04"), ("on v2.4.10 now", "2.4.10"),
    ("open 24/7", "24/7"), ("a 1/2 day off", "1/2"), ("3/4 of the team", "3/4"), ("step 2/2", "2/2"),
])
def test_versions_and_fractions_are_no_dates(source, value):
    with pytest.raises(Rejected) as dropped:
        normalise(DATE, value, source, day_first=True)
    assert dropped.value.kept is None


def test_a_day_and_month_with_a_slash_are_a_date_where_the_words_before_say_so():
    with pytest.raises(Rejected, match="no year") as assumed:
        normalise(DATE, "5/3", "Delivered on 5/3, thanks", day_first=True)
    assert assumed.value.kept.endswith("-03-05")


@pytest.mark.parametrize(("source", "value", "iso"), [
    ("DOB: 12/05/68", "12/05/68", "1968-05-12"), ("DOB: 12/05/68", "1968-05-12", "1968-05-12"),
    ("born 05.03.70", "05.03.70", "1970-03-05"), ("contract ends 05/03/30", "05/03/30", "2030-03-05"),
])
def test_a_two_digit_year_is_in_the_next_twenty_years_or_the_last_century(source, value, iso):
    assert normalise(DATE, value, source, day_first=True) == iso


def test_a_year_the_model_gave_a_date_without_one_is_this_years_as_the_text_reads_it():
    with pytest.raises(Rejected, match="no year") as assumed:
        normalise(DATE, "2025-03-04", "transferred on 4 March")
    assert assumed.value.kept.endswith("-03-04") and not assumed.value.kept.startswith("2025")


def test_only_dates_are_blanked_before_numbers_are_read():
    assert outside_dates("open 24/7 since 05.03.2024") == "open 24/7 since           "


@pytest.mark.parametrize(("field", "piece"), [
    (EMAIL, "Jane Doe"), (EMAIL, "thanks"), (DATE, "thanks"), (DATE, "the day after"), (PHONE, "email"),
])
def test_a_piece_with_no_value_of_the_type_in_it_means_none_not_a_dropped_value(field, piece):
    """The guide has the model copy something from every row: a piece without an address, date or digits in it is the
    model's "none", as for money and numbers, and filled extraction_errors with rows that had nothing to find."""
    assert normalise(field, piece, "Thanks, Jane Doe. Reach me at ann@example.com") is None


def test_an_address_the_model_copied_from_its_at_sign_on_is_read_whole():
    text = "Reach me at ann@example.com. Or bob.smith@example.org, or b@example.org"
    assert normalise(EMAIL, "example.com", text) == normalise(EMAIL, "@example.com", text) == "ann@example.com"
    with pytest.raises(Rejected, match="the domain of several addresses"):
        normalise(EMAIL, "example.org", text)
