import numpy as np
import pytest

from workbench.errors import TaskConfigError
from workbench.tasks.classify import ClassifyConfig, ClassifyTask, LabelSpec, label_line, parse_label_lines
from workbench.tasks.scoring import FewShotScorer, ZeroShotScorer
from workbench.tasks.spec import validate_config

LABELS = ["billing", "account", "shipping"]
# Disjoint words of the tiny encoder's vocabulary, so the three groups are separable even by a random model.
EXAMPLES = [
    ("invoice charge payment", "billing"), ("refund money paid", "billing"), ("card bank price", "billing"),
    ("password login reset", "account"), ("account locked sign", "account"), ("email access user", "account"),
    ("parcel delivery late", "shipping"), ("courier tracking box", "shipping"), ("shipping arrived order", "shipping"),
]
TEXTS = ["my invoice was charged twice", "i can not login to my account", "the parcel arrived late", "", "help"]


def _task(loader, **config) -> ClassifyTask:
    task = ClassifyTask(ClassifyConfig.model_validate(config), loader)
    task.setup()
    return task


def test_zero_shot_gives_a_known_label_and_a_probability(tiny_loader):
    outputs = _task(tiny_loader, labels=LABELS).run_batch(TEXTS)
    assert len(outputs) == len(TEXTS)
    for output in outputs:
        assert set(output.outputs) == {"label", "confidence", "needs_review"}
        assert output.outputs["label"] in LABELS
        assert 1 / len(LABELS) <= output.confidence <= 1
        assert output.outputs["confidence"] == output.confidence


def test_output_order_follows_input_order(tiny_loader):
    task = _task(tiny_loader, labels=LABELS)
    forward = [o.outputs for o in task.run_batch(TEXTS)]
    backward = [o.outputs for o in task.run_batch(TEXTS[::-1])]
    assert backward == forward[::-1]


def test_needs_review_is_set_below_the_threshold(tiny_loader):
    confidences = sorted(o.confidence for o in _task(tiny_loader, labels=LABELS).run_batch(TEXTS))
    threshold = (confidences[0] + confidences[-1]) / 2
    assert confidences[0] < threshold < confidences[-1], "the tiny encoder should give spread-out confidences"
    outputs = _task(tiny_loader, labels=LABELS, threshold=threshold).run_batch(TEXTS)
    flags = [o.outputs["needs_review"] for o in outputs]
    assert flags == [o.confidence < threshold for o in outputs]
    assert True in flags and False in flags


def test_threshold_zero_never_asks_for_review(tiny_loader):
    outputs = _task(tiny_loader, labels=LABELS, threshold=0.0).run_batch(TEXTS)
    assert not any(o.outputs["needs_review"] for o in outputs)


def test_few_shot_predicts_each_example_as_its_own_label(tiny_loader):
    examples = [{"text": text, "label": label} for text, label in EXAMPLES]
    outputs = _task(tiny_loader, labels=LABELS, examples=examples).run_batch([text for text, _ in EXAMPLES])
    assert [o.outputs["label"] for o in outputs] == [label for _, label in EXAMPLES]


def test_few_shot_labels_can_come_from_the_examples_alone(tiny_loader):
    examples = [{"text": text, "label": label} for text, label in EXAMPLES]
    task = _task(tiny_loader, examples=examples)
    assert task.label_names == LABELS
    assert task.run_batch(["refund money paid"])[0].outputs["label"] == "billing"


def test_examples_for_some_labels_move_those_labels_and_keep_the_others_winnable(tiny_loader):
    """A few reviewed rows leave labels without examples: a logistic regression would never give those (it fell
    below zero-shot on BANKING77), so the examples move their labels' zero-shot vectors instead."""
    billing_only = [{"text": text, "label": label} for text, label in EXAMPLES if label == "billing"]
    plain, taught = _task(tiny_loader, labels=LABELS), _task(tiny_loader, labels=LABELS, examples=billing_only)
    assert isinstance(taught.scorer, ZeroShotScorer)
    assert np.allclose(taught.scorer.label_vectors[1:], plain.scorer.label_vectors[1:])  # the others unchanged
    texts = [text for text, label in EXAMPLES if label == "billing"]
    before, after = (t.scorer.probabilities(t.encoder.embed(texts))[:, 0] for t in (plain, taught))
    assert (after > before).all()
    every_label = [{"text": text, "label": label} for text, label in EXAMPLES]
    assert isinstance(_task(tiny_loader, labels=LABELS, examples=every_label).scorer, FewShotScorer)


def test_bare_label_names_and_label_prompt_text():
    config = ClassifyConfig.model_validate({"labels": ["tech_support", {"name": "billing", "description": " invoices "}]})
    assert [label.name for label in config.labels] == ["tech_support", "billing"]
    assert config.labels[0].prompt_text() == "tech support"
    assert config.labels[1].prompt_text() == "billing: invoices"


def test_examples_labelled_in_other_capitals_are_the_listed_labels_examples():
    listed = ClassifyConfig.model_validate({"labels": ["billing", "Shipping"], "examples": [
        {"text": "refund please", "label": "Billing"}, {"text": "where is it", "label": "shipping"}]})
    assert [e.label for e in listed.examples] == ["billing", "Shipping"]
    from_examples = ClassifyConfig.model_validate({"examples": [
        {"text": "refund", "label": "Billing"}, {"text": "late", "label": "shipping"}, {"text": "charge", "label": "billing"}]})
    assert [label.name for label in from_examples.labels] == ["Billing", "shipping"]
    assert [e.label for e in from_examples.examples] == ["Billing", "shipping", "Billing"]


@pytest.mark.parametrize(
    "config,message",
    [
        ({}, "give at least two labels"),
        ({"labels": ["only_one"]}, "give at least two labels"),
        ({"labels": ["billing", "shipping", "billing"]}, "each label must appear once; repeated: billing$"),
        ({"labels": ["billing", "shipping"], "examples": [{"text": "where is it", "label": "returns"}]},
         "not in the label list: returns; add them"),
        ({"labels": ["billing", "shipping"], "threshold": 1.5}, "threshold: should be at most 1.0$"),
        ({"labels": ["billing", "shipping"], "threshold": -0.1}, "threshold: should be at least 0.0$"),
        ({"labels": ["billing", "shipping"], "threshold": "nan"}, "threshold: should be a number, not nan or infinity"),
        ({"labels": ["billing", "shipping"], "threshold": ".nan"}, "threshold: should be a number, such as 0.5"),
        ({"labels": ["billing", "shipping"], "label_threshold": 0}, "label_threshold: should be more than 0.0"),
        ({"labels": ["billing", "shipping"], "treshold": 0.5}, "treshold: is not a setting of this task"),
        ({"labels": [{"name": ""}, "shipping"]}, "label 1, name"),
    ],
)
def test_config_errors_say_what_to_fix(config, message):
    with pytest.raises(TaskConfigError, match=message) as caught:
        validate_config("classify", config)
    assert str(caught.value).startswith("The classify settings need fixing: ")
    assert "settings: " not in str(caught.value).removeprefix("The classify settings need fixing: ")
    assert "pydantic" not in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(("name", "description"), [
    ("Tier 1: billing", ""), ("Tier 1: billing", "invoices: and charges"), ("billing", "invoices"), ("billing", ""),
])
def test_a_label_line_reads_back_as_the_label_it_was_written_from(name, description):
    """A name with a colon came back as another name and a description when a template was opened again."""
    assert parse_label_lines(label_line(name, description)) == [{"name": name, "description": description}]


def test_parse_label_lines():
    text = "billing: invoices, charges: refunds\n\n  tech_support  \n: no name\nreturns:"
    assert parse_label_lines(text) == [
        {"name": "billing", "description": "invoices, charges: refunds"},
        {"name": "tech_support", "description": ""},
        {"name": "returns", "description": ""},
    ]
    assert parse_label_lines("") == []
    assert [LabelSpec(**label).name for label in parse_label_lines("a\nb")] == ["a", "b"]


def test_zero_shot_scorer_prefers_the_most_similar_label():
    labels = np.eye(3, dtype=np.float32)
    texts = np.array([[0.9, 0.1, 0.0], [0.0, 0.2, 0.8]], dtype=np.float32)
    probabilities = ZeroShotScorer(labels).probabilities(texts)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    assert probabilities.argmax(axis=1).tolist() == [0, 2]
    cooler = ZeroShotScorer(labels, temperature=1.0).probabilities(texts)
    assert cooler.max() < probabilities.max()


@pytest.mark.parametrize("n_labels", [2, 3])
def test_few_shot_scorer_matches_logistic_regression_with_too_few_examples_to_calibrate(n_labels):
    # One example per label: no cross-validation is possible, so the temperature stays 1.
    vectors = np.eye(n_labels, 4)
    scorer = FewShotScorer(vectors, np.arange(n_labels), n_labels)
    assert scorer.temperature == 1.0
    queries = np.random.default_rng(0).normal(size=(5, 4))
    np.testing.assert_allclose(scorer.probabilities(queries), scorer.model.predict_proba(queries), rtol=1e-6)


def test_few_shot_scorer_calibrates_and_gives_unseen_labels_zero():
    rng = np.random.default_rng(0)
    centres = np.array([[5.0, 0, 0], [0, 5.0, 0]])
    ids = np.repeat([0, 1], 10)
    vectors = centres[ids] + rng.normal(scale=0.3, size=(20, 3))
    scorer = FewShotScorer(vectors, ids, n_labels=3)
    probabilities = scorer.probabilities(centres)
    assert scorer.temperature != 1.0
    assert probabilities[:, 2].tolist() == [0.0, 0.0]
    assert probabilities.argmax(axis=1).tolist() == [0, 1]
    assert probabilities.max(axis=1).min() > 0.9


def _clusters(rng, centres: np.ndarray, per_cluster: int) -> tuple[np.ndarray, np.ndarray]:
    ids = np.repeat(np.arange(len(centres)), per_cluster)
    vectors = centres[ids] + rng.normal(scale=0.35, size=(len(ids), centres.shape[1]))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True), ids


def test_zero_shot_adapting_to_the_job_pulls_labels_towards_their_texts():
    rng = np.random.default_rng(1)
    centres = np.eye(4, 8) * 2 + 1.0  # the texts share a common direction, as real embeddings do
    texts, truth = _clusters(rng, centres, 60)
    # Label texts point only roughly at their clusters, as names do.
    labels = centres + rng.normal(scale=1.2, size=centres.shape)
    scorer = ZeroShotScorer(labels / np.linalg.norm(labels, axis=1, keepdims=True))
    before = (scorer.probabilities(texts).argmax(axis=1) == truth).mean()
    scorer.adapt(texts)
    after = scorer.probabilities(texts)
    assert (after.argmax(axis=1) == truth).mean() > max(before, 0.95)
    np.testing.assert_allclose(after.sum(axis=1), 1.0, rtol=1e-6)


def test_few_shot_adapting_to_the_job_keeps_probabilities_and_uses_the_unlabelled_rows():
    rng = np.random.default_rng(2)
    centres = np.eye(3, 8) * 2 + 1.0
    examples, example_ids = _clusters(rng, centres, 3)
    texts, truth = _clusters(rng, centres, 80)
    scorer = FewShotScorer(examples, example_ids, n_labels=3)
    scorer.adapt(texts)
    probabilities = scorer.probabilities(texts)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    assert (probabilities.argmax(axis=1) == truth).mean() > 0.95
    assert scorer.model.n_features_in_ == 8 and len(scorer.model.classes_) == 3


def test_a_row_seen_while_adapting_is_embedded_again_once_the_task_forgets_them(tiny_encoder):
    """A comparison times single rows after the job: the rows the job adapted to must not be answered from memory."""
    embedded: list[list[str]] = []

    class CountingEncoder:
        def embed(self, texts):
            embedded.append(list(texts))
            return tiny_encoder.embed(texts)

        def __getattr__(self, name):  # the rest is the tiny encoder's
            return getattr(tiny_encoder, name)

    task = _task(lambda _name=None: CountingEncoder(), labels=LABELS)
    rows = [f"{text} {n}" for n in range(20) for text in TEXTS[:3]]
    task.adapt(rows)
    before = len(embedded)
    answer = task.run_batch(rows[:1])
    assert len(embedded) == before  # remembered from adapting: a job's first batches need not embed again
    task.forget_seen_rows()
    assert task.run_batch(rows[:1])[0].outputs == answer[0].outputs and embedded[-1] == rows[:1]


def test_a_row_needs_review_only_below_the_threshold(tiny_loader):
    from workbench.tasks.classify import ClassifyConfig, ClassifyTask

    task = ClassifyTask(ClassifyConfig(labels=["a", "b"], threshold=0.5), tiny_loader)
    task.setup()
    stub = type("Stub", (), {"probabilities": staticmethod(lambda vectors: np.array([[0.5, 0.5], [0.4999, 0.5001], [0.52, 0.48]]))})
    task.scorer = stub  # confidences 0.5, 0.5001, 0.52
    flags = [row.outputs["needs_review"] for row in task.run_batch(["x", "y", "z"])]
    assert flags == [False, False, False]  # "below the threshold": 0.5 against 0.5 is not below


def test_a_row_longer_than_the_model_reads_is_noted_for_the_job(tiny_loader):
    task = _task(tiny_loader, labels=LABELS)
    task.adapt([" ".join(["the parcel arrived late"] * 30), "my card payment"])
    assert task.notes[0].startswith("1 of the first 2 rows is longer than the model reads (64 tokens, about 48 words): "
                                    "it decides it from its beginning only.")
