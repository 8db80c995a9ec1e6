"""Who speaks in a text written as a conversation: a chat or call transcript, one turn a line.

    Agent: Good morning, how can I help?
    Customer: My parcel never arrived.

The speakers are the labels before the colon, in the order they first speak. A text is a conversation only
when most of its lines are turns, at least two speakers take them, and one of them speaks twice or every line
is a turn: an email's headers ("From:", "Subject:") or a lone "Note:" do not make one.
"""

from __future__ import annotations

import re
from collections import Counter

# What may come before a turn's label: a time or date stamp ("[10:32]", "10:32 -", "12/03/2024, 10:32 -") or a
# list or quote mark ("- ", "> "). Markdown bold around the label ("**Agent:**") is taken off the label.
LEAD = re.compile(r"^\s*(?:\[[^\]\n]{1,25}\]\s*|[\d/.,: ]{3,22}(?:[AaPp][Mm])?\s*[-–]\s*|\d{1,2}:\d{2}(?::\d{2})?\s+|[-*•>]+\s+)*")
# A label of up to 30 characters before a colon followed by a space and more on the same line: "10:30" and
# "https://" are not turns.
TURN = re.compile(r"([^\s:][^:\n]{0,29}?)\s*:[*_]*[ \t]+\S")
MAX_LABEL_WORDS = 3
# Headers (also German and French ones), form, ticket and log fields, question/answer marks: lines like these
# are not a person speaking.
NOT_SPEAKERS = {
    "from", "to", "cc", "bcc", "subject", "date", "sent", "re", "fw", "fwd", "reply-to", "von", "an", "betreff",
    "de", "à", "objet", "note", "ps", "p.s", "tel", "phone", "email", "e-mail", "mobile", "fax", "address", "ref",
    "order", "name", "city", "country", "id", "item", "product", "sku", "size", "colour", "color", "price", "total",
    "amount", "quantity", "qty", "status", "time", "q", "a", "question", "answer", "issue", "problem", "solution",
    "steps", "expected", "actual", "result", "reason", "update", "summary", "description", "comment", "comments",
    "pros", "cons", "error", "warning", "info", "debug", "todo", "action", "owner", "priority", "category"}


def speakers(text: str) -> list[str]:
    """The speakers of a conversation in the order of their first turn; [] when the text is not one."""
    lines = [line for line in str(text).splitlines() if line.strip()]
    turns = [label for label in map(_speaker, lines) if label]
    spoke = Counter(turns)
    if len(spoke) < 2 or 2 * len(turns) < len(lines) or (max(spoke.values()) < 2 and len(turns) < len(lines)):
        return []
    return list(spoke)  # a Counter keeps the order labels were first seen in


def _speaker(line: str) -> str | None:
    """The line's speaker when it reads as a turn: a short label that is not a header, a time or a number."""
    match = TURN.match(line, LEAD.match(line).end())
    if not match:
        return None
    label = match.group(1).strip().strip("*_").strip()
    if len(label.split()) > MAX_LABEL_WORDS or label.lower() in NOT_SPEAKERS or not re.search(r"[^\W\d_]", label):
        return None
    return label
