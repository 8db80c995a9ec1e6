"""Quality of classify and route on ../shared/datasets, configured the way a user would configure them.

Run through benchmarks/quality.py (every template), or alone:

    .venv/bin/python benchmarks/quality_classify.py [--only clinc trec sst2]

* CLINC150 val, `route` to the 10 departments: a one-line description per department (its kinds of
  request, comma-separated) and 10 examples per department, drawn with seed 0 from the val file and
  removed from the scored rows. Out-of-scope rows should reach the fallback queue. The fallback
  cut-off comes from the examples alone (route.py); nothing is tuned on the scored rows.
* TREC (coarse, 6 types), `classify` zero-shot from names and one-line descriptions.
* SST-2, `classify` zero-shot from the names "positive" and "negative" with a short description.
* SST-2 and TREC again with classify's `second_opinion` (the generator asked about the rows the encoder is unsure
  of): a few minutes each.

Each run goes through the template as a job does: setup, adaptation to the job's first rows, batches.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

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
    task = spec_from_dict(spec_data).build(lambda name: load_encoder(settings, name),
                                           lambda name: load_generator(settings, name))
    task.setup()
    task.adapt(adaptation_sample([RowText(i, t) for i, t in enumerate(texts)]))
    for note in task.notes:  # e.g. whether the generator's second opinion passed its check on the job's rows
        print(f"  {spec_data['task']}: {note}", file=sys.stderr)
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


def trec(**changes) -> dict:
    lines = (DATA / "classification" / "trec_test.label").read_text(encoding="latin-1").splitlines()
    truth = [line.split(":", 1)[0] for line in lines]
    texts = [line.split(" ", 1)[1] for line in lines]
    labels = [{"name": name, "description": description} for name, description in TREC_TYPES.items()]
    spec = {"task": "classify", "text": "text", "labels": labels, **changes}
    return _report(truth, [o["label"] for o in run_template(spec, texts)])


def sst2(**changes) -> dict:
    lines = (DATA / "classification" / "sst2_test.txt").read_text().splitlines()
    truth = ["positive" if line[0] == "1" else "negative" for line in lines]
    texts = [line[2:] for line in lines]
    spec = {"task": "classify", "text": "text", "labels": SST2_LABELS, **changes}
    return _report(truth, [o["label"] for o in run_template(spec, texts)])


def _report(truth: list[str], predicted: list[str]) -> dict:
    report = classification_report(truth, predicted)
    return {"rows": len(truth), "accuracy": report.accuracy, "macro_f1": report.macro_f1}


BENCHMARKS = {"clinc": clinc, "clinc_closed_set": clinc_closed_set, "trec": trec, "sst2": sst2,
              # classify with the generator's second opinion (tasks/second_opinion.py): where it helps, where not
              "sst2_second_opinion": lambda: sst2(second_opinion=True),
              "trec_second_opinion": lambda: trec(second_opinion=True)}


if __name__ == "__main__":
    from quality import main

    main(BENCHMARKS)
