"""Quality of classify and route on ../shared/datasets, configured the way a user would configure them.

Run through benchmarks/quality.py (every template), or alone:

    .venv/bin/python benchmarks/quality_classify.py [--only clinc trec sst2]

* CLINC150 val, `route` to the 10 departments: a one-line description per department (its kinds of
  request, comma-separated) and 10 examples per department, drawn with seed 0 from the val file and
  removed from the scored rows. Out-of-scope rows should reach the fallback queue. The fallback
  cut-off comes from the examples alone (route.py); nothing is tuned on the scored rows.
* TREC (coarse, 6 types), `classify` zero-shot from names and one-line descriptions.
* SST-2, `classify` zero-shot from the names "positive" and "negative" with a short description.

Each run goes through the template as a job does: setup, adaptation to the job's first rows, batches.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.config import get_settings  # noqa: E402
from workbench.eval.metrics import classification_report  # noqa: E402
from workbench.io.rows import RowText  # noqa: E402
from workbench.jobs.runner import adaptation_sample  # noqa: E402
from workbench.models.registry import load_encoder, load_generator  # noqa: E402
from workbench.tasks.spec import spec_from_dict  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets"
TREC_TYPES = {
    "ABBR": "abbreviation: what an abbreviation or acronym stands for",
    "DESC": "description: a definition, an explanation, a reason or a manner",
    "ENTY": "entity: a thing, such as an animal, a colour, a food, a product, an event or a term",
    "HUM": "human: a person or a group of people",
    "LOC": "location: a place, such as a city, a country, a mountain or a state",
    "NUM": "number: a count, a date, a distance, a price, a percentage or a speed",
}

SST2_LABELS = [{"name": "positive", "description": "the reviewer liked it, praise"},
               {"name": "negative", "description": "the reviewer disliked it, criticism"}]


def run_template(spec_data: dict, texts: list[str]) -> list[dict]:
    settings = get_settings()
    task = spec_from_dict(spec_data).build(lambda name: load_encoder(settings, name))
    task.setup()
    task.adapt(adaptation_sample([RowText(i, t) for i, t in enumerate(texts)]))
    return [output.outputs for start in range(0, len(texts), 64) for output in task.run_batch(texts[start:start + 64])]


def clinc_setup() -> tuple[dict, list[dict]]:
    """The route task a user would write for CLINC150's 10 departments, and the rows to score."""
    rows = [json.loads(line) for line in (DATA / "routing" / "clinc150_val.jsonl").open()]
    domains = json.loads((DATA / "routing" / "clinc150_domains.json").read_text())
    chance = random.Random(0)
    held = {i for d in domains for i in chance.sample([i for i, r in enumerate(rows) if r["domain"] == d], 10)}
    queues = [{"name": d, "description": ", ".join(i.replace("_", " ") for i in intents)} for d, intents in domains.items()]
    examples = [{"text": rows[i]["text"], "label": rows[i]["domain"]} for i in sorted(held)]
    spec = {"task": "route", "text": "text", "labels": queues, "examples": examples}
    return spec, [r for i, r in enumerate(rows) if i not in held]


def clinc(**changes) -> dict:
    spec, scored = clinc_setup()
    outputs = run_template({**spec, **changes}, [r["text"] for r in scored])
    truth = [r["domain"] for r in scored]
    queued = [o.get("queue", o.get("label")) for o in outputs]
    in_scope = [q == t for q, t in zip(queued, truth, strict=True) if t != "oos"]
    out_scope = [q == "Other" for q, t in zip(queued, truth, strict=True) if t == "oos"]
    return {"rows": len(scored), "in_scope_accuracy": sum(in_scope) / len(in_scope),
            "out_of_scope_recall": sum(out_scope) / len(out_scope)}


def clinc_closed_set() -> dict:
    """Route without a fallback, and classify (logistic regression) on the same queues and examples."""
    route = clinc(min_similarity=-1.0)["in_scope_accuracy"]
    classify = clinc(task="classify")["in_scope_accuracy"]
    return {"route_in_scope_accuracy": route, "classify_in_scope_accuracy": classify}


def trec() -> dict:
    lines = (DATA / "classification" / "trec_test.label").read_text(encoding="latin-1").splitlines()
    truth = [line.split(":", 1)[0] for line in lines]
    texts = [line.split(" ", 1)[1] for line in lines]
    labels = [{"name": name, "description": description} for name, description in TREC_TYPES.items()]
    predicted = [o["label"] for o in run_template({"task": "classify", "text": "text", "labels": labels}, texts)]
    return _report(truth, predicted)


def sst2() -> dict:
    lines = (DATA / "classification" / "sst2_test.txt").read_text().splitlines()
    truth = ["positive" if line[0] == "1" else "negative" for line in lines]
    texts = [line[2:] for line in lines]
    predicted = [o["label"] for o in run_template({"task": "classify", "text": "text", "labels": SST2_LABELS}, texts)]
    return _report(truth, predicted)


def _report(truth: list[str], predicted: list[str]) -> dict:
    report = classification_report(truth, predicted)
    return {"rows": len(truth), "accuracy": report.accuracy, "macro_f1": report.macro_f1}


SECOND_OPINION_CUTS = (0.55, 0.6, 0.7)  # encoder confidence under which the generator is asked too
SECOND_OPINION_PROMPT = ("Is the sentiment of this movie review positive or negative?\n\nReview: {}\n\n"
                         "Answer with one word: positive or negative.")


def second_opinion() -> dict:
    """Every SST-2 row the encoder is unsure of (confidence < 0.7) is also asked of the generator.

    The generator's P(positive) (option scoring) is corrected for its bias with the median of its own
    answers (no labels needed): uncorrected it answers "negative" to almost everything. Where the
    encoder is under each cut-off, its P(positive) is averaged with the generator's.
    """
    lines = (DATA / "classification" / "sst2_test.txt").read_text().splitlines()
    truth, texts = np.array([line[0] == "1" for line in lines]), [line[2:] for line in lines]
    encoder = np.array([o["confidence"] if o["label"] == "positive" else 1 - o["confidence"]
                        for o in run_template({"task": "classify", "text": "text", "labels": SST2_LABELS}, texts)])
    unsure = np.flatnonzero(np.maximum(encoder, 1 - encoder) < max(SECOND_OPINION_CUTS))
    generator = load_generator(get_settings())
    asked = np.array([generator.option_probabilities(generator.chat.prompt(SECOND_OPINION_PROMPT.format(texts[i])),
                                                     ["positive", "negative"])[0] for i in unsure])
    median = np.median(asked)
    second = encoder.copy()
    second[unsure] = asked / (asked + median * (1 - asked) / (1 - median))
    figures = {"rows": len(texts), "asked": len(unsure), "encoder": float(((encoder > 0.5) == truth).mean()),
               "generator_on_asked": float(((second[unsure] > 0.5) == truth[unsure]).mean()),
               "encoder_on_asked": float(((encoder[unsure] > 0.5) == truth[unsure]).mean())}
    for cut in SECOND_OPINION_CUTS:
        combined = np.where(np.maximum(encoder, 1 - encoder) < cut, (encoder + second) / 2, encoder)
        figures[f"averaged_below_{cut}"] = float(((combined > 0.5) == truth).mean())
    return figures


BENCHMARKS = {"clinc": clinc, "clinc_closed_set": clinc_closed_set, "trec": trec, "sst2": sst2, "second_opinion": second_opinion}


if __name__ == "__main__":
    from quality import main

    main(BENCHMARKS)
