"""Which texts are conversations, and who speaks in them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbench.tasks.speakers import speakers

DIALOGUE = "#Person1#: Oh, I'm starving.\n#Person2#: There is a restaurant nearby.\n#Person1#: Let's go there."
CHAT = ("Agent: Good morning, how can I help?\nCustomer: My parcel never arrived.\nAgent: Sorry to hear that.\n"
        "Order 5531, sent on 3 May.\nCustomer: Thanks.")


@pytest.mark.parametrize(("text", "expected"), [
    (DIALOGUE, ["#Person1#", "#Person2#"]),
    ("#Person1#: Excuse me. Here is his parcel.\n#Person2#: Oh, just put it on my desk.", ["#Person1#", "#Person2#"]),
    (CHAT, ["Agent", "Customer"]),  # a line without a label inside a turn is fine
    ("Mr. Fox: My car?\nClerk: Gone.\nMr. Fox: Unreasonable!\nManager Ann Lee: A discount, then.",
     ["Mr. Fox", "Clerk", "Manager Ann Lee"]),  # in the order they first speak
    ("[10:32] Agent: Hi.\n[10:33] Customer: Hello.\n[10:34] Agent: Bye.", ["Agent", "Customer"]),  # time stamps
    ("12/03/2024, 10:32 - Ann: hi\n12/03/2024, 10:33 - Bob: hello", ["Ann", "Bob"]),  # a chat app's export
    ("**Agent:** hi\n**Customer:** hello\n- Agent: bye", ["Agent", "Customer"]),  # markdown, list marks
    ("Speaker 1: hi\nSpeaker 2: hello", ["Speaker 1", "Speaker 2"]),
])
def test_the_speakers_of_a_conversation_in_the_order_they_first_speak(text, expected):
    assert speakers(text) == expected


@pytest.mark.parametrize("text", [
    "From: Ann\nTo: Support\nSubject: Refund\nDate: 3 May\nMy parcel never arrived.",  # headers, nobody speaks twice
    "Ann: hi\nBob: hello\nThanks for the lovely evening.",  # two single lines and one that is not a turn
    "Note: the parcel is late.\nPlease call me back.",
    "Agent: Hello.\nAgent: Anyone there?",  # one speaker
    "Meeting at 10:30 today.\nCall at 11:15 tomorrow.\nAnd again at 10:45.",  # times, not speakers
    "Ann: hi\nBob: hello\nAnn: bye\n" + "A long letter without turns.\n" * 6,  # most lines are not turns
    "The order was late: very late.\nMy mother said it twice to the driver: the driver did not listen.",
    "Name: Ann\nCity: Oslo\nName: Bob\nCity: Bergen",  # a form, filled twice
    "Q: Where is my parcel?\nA: On its way.\nQ: When?\nA: Tomorrow.",
    "Issue: login fails\nSteps: open the app\nExpected: it opens\nActual: it crashes\nIssue: again",  # a ticket
    "ERROR: disk full\nWARNING: retrying\nERROR: failed",  # a log
    "See https://example.com/a\nand https://example.com/b",
    "Von: Ann\nAn: Support\nBetreff: Rechnung\nVon: Bob",
    "",
])
def test_other_texts_are_not_conversations(text):
    assert speakers(text) == []


def test_every_sample_chat_is_a_conversation_between_agent_and_customer():
    chats = pd.read_csv(Path(__file__).resolve().parents[1] / "sample_data" / "support_chats.csv")
    assert all(set(speakers(chat)) == {"Agent", "Customer"} for chat in chats["transcript"])
