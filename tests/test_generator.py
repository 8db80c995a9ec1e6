"""The generator runtime on a tiny Llama built here: export, quantize, generate, constrained output."""

from __future__ import annotations

import json
import re
from collections import deque

import numpy as np
import pytest

from tests.tiny_models import build_tiny_llama_source
from workbench.models.bundled import BundledPack
from workbench.models.generator import OnnxGenerator, _log_softmax
from workbench.models.guided import COPY, JsonGuide, guided_json
from workbench.models.prepare import prepare_encoder

TINY_LLAMA = BundledPack(name="tiny-llama", kind="generator", package="", relative_path="", max_length=1024)
PROMPTS = ["The parcel arrived late.", "Please refund my card payment of 45 euros and the wrong invoice.", "yes",
           "billing shipping returns maybe"]
SCHEMA = {"type": "object", "properties": {
    "name": {"type": "string"}, "amount": {"type": "number"}, "count": {"type": "integer"},
    "urgent": {"type": "boolean"}, "queue": {"enum": ["billing", "shipping", "returns"]},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3}, "note": {"type": ["string", "null"]},
}}


@pytest.fixture(scope="session")
def tiny_llama_source(tmp_path_factory):
    return build_tiny_llama_source(tmp_path_factory.mktemp("tiny-llama") / "source")


@pytest.fixture(scope="session")
def tiny_generator_folders(tiny_llama_source, tmp_path_factory):
    """The tiny model prepared twice through the real pipeline: unquantized and 8-bit block-wise."""
    folders = {}
    for preset in ("none", "int8-block32"):
        class _Settings:
            models_dir = tmp_path_factory.mktemp(f"models-{preset}")

        folders[preset] = prepare_encoder(_Settings(), TINY_LLAMA, source=tiny_llama_source, preset=preset)
    return folders


@pytest.fixture(scope="session")
def generator(tiny_generator_folders):
    return OnnxGenerator(tiny_generator_folders["none"], batch_size=3)


def chat(generator, texts):
    return [generator.chat.prompt("Summarise the email. " + text) for text in texts]


def reference_greedy(source, generator, prompt: str, new_tokens: int) -> list[int]:
    """What transformers + PyTorch generate greedily for the same prompt."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(source).eval()
    ids = torch.tensor([generator.encode(prompt)])
    out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=new_tokens, do_sample=False,
                         eos_token_id=sorted(generator.eos_ids), pad_token_id=generator.pad_id)
    return [t for t in out[0, ids.shape[1]:].tolist() if t not in generator.eos_ids]


def test_preparing_writes_a_manifest_and_the_chat_files(tiny_generator_folders):
    folder = tiny_generator_folders["int8-block32"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "generator" and manifest["quantization"]["method"] == "blockwise"
    assert (folder / "tokenizer.json").exists() and (folder / "chat_template.jinja").exists()
    assert not any(p.name.startswith(".staging") for p in folder.parent.iterdir())


def test_batched_generation_with_a_shared_prefix_matches_pytorch_row_by_row(generator, tiny_llama_source):
    prompts = chat(generator, PROMPTS)
    ours = generator.generate(prompts, max_new_tokens=10)
    assert len({tuple(o.tokens) for o in ours}) > 1  # the tiny model's answers differ, so the check means something
    for prompt, output in zip(prompts, ours, strict=True):
        assert output.tokens == reference_greedy(tiny_llama_source, generator, prompt, 10)


def test_the_shared_prefix_is_computed_once_and_reused(generator):
    generator._prefix_cache.clear()
    generator.generate(chat(generator, PROMPTS[:3]), max_new_tokens=2)
    generator.generate(chat(generator, PROMPTS[:3]), max_new_tokens=2)
    assert len(generator._prefix_cache) == 1


def test_identical_prompts_are_read_once_and_answered_alike(generator, monkeypatch):
    prompts = chat(generator, [PROMPTS[0], PROMPTS[1], PROMPTS[0], PROMPTS[0]])
    expected = [o.tokens for o in generator.generate(prompts[:2], max_new_tokens=6)]
    read, run = [], generator._run
    monkeypatch.setattr(generator, "_run", lambda ids, *rest, **kw: read.append(ids.shape) or run(ids, *rest, **kw))
    generator._prefix_cache.clear()
    answers = [o.tokens for o in generator.generate(prompts, max_new_tokens=6)]
    assert answers == [expected[0], expected[1], expected[0], expected[0]]
    # The three copies come first (shortest) and fill the batch of 3: their prompt is read as one row, then copied;
    # being all one prompt, none of it goes to the prefix cache.
    assert [rows for rows, _ in read[:2]] == [1, 3] and read[0][1] == len(generator.encode(prompts[0]))
    assert not generator._prefix_cache


def test_alternatives_start_with_the_likeliest_first_tokens_then_go_on_greedily(generator):
    prompts = chat(generator, PROMPTS[:2])
    greedy = generator.generate(prompts, max_new_tokens=6)
    alternatives = generator.generate_alternatives(prompts, 3, max_new_tokens=6)
    for prompt, answer, drafts in zip(prompts, greedy, alternatives, strict=True):
        assert [d.tokens for d in drafts][0] == answer.tokens
        _, logits = generator._prefix(tuple(generator.encode(prompt)))
        likeliest = [t for t in np.argsort(-logits) if t not in generator.eos_ids][:3]
        assert [d.tokens[0] for d in drafts[1:]] == [int(t) for t in likeliest[1:]]
        for draft in drafts[1:]:  # after its first token each draft is the greedy answer to prompt + that token
            forced = generator._generate([generator.encode(prompt) + draft.tokens[:1]], [0], 5, ())[0]
            assert draft.tokens[1:] == forced.tokens


def test_a_stop_pattern_ends_answers_as_the_same_stop_string_does(generator):
    prompts = chat(generator, PROMPTS[:4])
    as_string = generator.generate(prompts, max_new_tokens=10, stop=(" ",))
    as_pattern = generator.generate(prompts, max_new_tokens=10, stop=(re.compile(" "),))
    assert any(a.stopped for a in as_string)  # the tiny model writes spaces: some answers do stop
    assert [(a.text, a.stopped, a.stop_string) for a in as_string] == \
        [(a.text, a.stopped, a.stop_string) for a in as_pattern]


def test_answers_given_openings_start_with_them_then_go_on_greedily(generator):
    prompts = chat(generator, PROMPTS[:2])
    openings = [["Mr. Fox asks", "Ann and Bob", "Bob tells"], []]  # the second prompt: its 2 likeliest first tokens
    drafts = generator.generate_alternatives(prompts, 2, max_new_tokens=12, stop=(". ",), openings=openings)
    assert [len(d) for d in drafts] == [2, 2]  # of three openings, the two likeliest go on
    assert [d.tokens for d in drafts[1]] == [d.tokens for d in generator.generate_alternatives(prompts[1:], 2, 12, (". ",))[0]]
    prompt_ids = generator.encode(prompts[0])
    scores = generator._option_scores([prompt_ids], [generator.encode(o) for o in openings[0]])[0]
    likeliest = [openings[0][i] for i in np.argsort(-scores)[:2]]
    for opening, draft in zip(likeliest, drafts[0], strict=True):
        opened = generator.encode(opening)
        assert draft.tokens[: len(opened)] == opened and draft.text.startswith(opening)
        alone = generator._generate([prompt_ids + opened], [0], 12 - len(opened), ())[0]
        written = draft.tokens[len(opened):]  # up to a stop string, or the end of the budget
        assert written and written == alone.tokens[: len(written)]
    (only,) = generator.generate_alternatives(prompts[:1], 1, max_new_tokens=12, stop=(". ",),
                                              openings=[["Mr. Fox asks"]])[0]
    assert only.text.startswith("Mr. Fox asks")  # a stop string inside the opening does not end the answer


@pytest.mark.parametrize("running,queue,expected", [
    (2, "0123" * 3, 4),     # 6 free places: one prompt's 4 alternatives join, not 6 that would split the next
    (0, "0123" * 3, 8),     # an empty batch of 8 takes two whole prompts
    (5, "0123" * 3, 0),     # 3 free places: the next prompt waits until its 4 alternatives fit
    (2, "012301", 6),       # the last rows all join
    (3, "012" * 4, 3),      # groups of 3: 5 free places take one group (a quarter batch would be 2)
    (0, "23" + "0123" * 2, 6),  # the queue starts mid-prompt (split into an empty batch): its rest, then one more
])
def test_the_alternatives_of_one_prompt_join_the_batch_together(generator, monkeypatch, running, queue, expected):
    monkeypatch.setattr(generator, "batch_size", 8)
    ranks = [int(rank) for rank in queue]
    encoded = [[1, 2, 3]] * len(ranks)
    assert generator._joining(running, deque(range(len(ranks))), encoded, 4, ranks) == expected


def test_alternatives_join_only_a_batch_too_small_for_them_in_part(generator, monkeypatch):
    monkeypatch.setattr(generator, "batch_size", 3)  # room for 3 of a prompt's 4 alternatives, ever
    ranks = [int(rank) for rank in "0123" * 2]
    encoded = [[1, 2, 3]] * len(ranks)
    assert generator._joining(0, deque(range(8)), encoded, 4, ranks) == 3
    assert generator._joining(1, deque(range(3, 8)), encoded, 4, ranks) == 1  # the rest of the split prompt
    assert generator._joining(1, deque(range(4, 8)), encoded, 4, ranks) == 0  # the next waits for an empty batch


def test_openings_of_a_prompt_read_in_parts_still_give_as_many_answers_as_asked(generator, monkeypatch):
    monkeypatch.setattr(generator, "batch_size", 1)  # one row at a time: the prompt's openings are read apart
    openings = [["Ann asks", "Bob asks", "Ann and Bob"]]
    (drafts,) = generator.generate_alternatives(chat(generator, PROMPTS[:1]), 2, max_new_tokens=8, openings=openings)
    assert len(drafts) == 2 and all(d.text.startswith(tuple(openings[0])) for d in drafts)


def test_answers_with_openings_are_never_more_than_asked_for(generator):
    prompts, openings = chat(generator, PROMPTS[:1]), [["Ann asks", "Bob asks", "Ann and Bob"]]
    assert len(generator.generate_alternatives(prompts, 2, max_new_tokens=1, openings=openings)[0]) == 2  # no room
    too_long = ["word " * (generator.window + 5)]
    (failed,) = generator.generate_alternatives(too_long, 2, max_new_tokens=8, openings=openings)
    assert len(failed) == 2 and all(g.error for g in failed)


def test_openings_dropped_at_once_still_join_in_bounded_numbers(generator, monkeypatch):
    monkeypatch.setattr(generator, "batch_size", 8)
    ranks = [int(rank) for rank in "0123456" * 6]  # seven openings a prompt, only the likeliest goes on
    placed, encoded = [rank < 1 for rank in ranks], [[1, 2, 3]] * len(ranks)
    assert generator._joining(0, deque(range(42)), encoded, 4, ranks, placed, spare=6) == 7  # one prompt's at a time


def test_openings_that_will_be_dropped_take_no_place_in_the_batch(generator, monkeypatch):
    monkeypatch.setattr(generator, "batch_size", 8)
    ranks = [int(rank) for rank in "0123456" * 3]  # seven openings a prompt, the likeliest 4 go on
    placed, encoded = [rank < 4 for rank in ranks], [[1, 2, 3]] * len(ranks)
    assert generator._joining(0, deque(range(21)), encoded, 4, ranks, placed, spare=6) == 14  # 4 places each
    assert generator._joining(4, deque(range(7, 21)), encoded, 4, ranks, placed, spare=3) == 7
    assert generator._joining(5, deque(range(7, 21)), encoded, 4, ranks, placed, spare=3) == 0


def test_a_group_smaller_than_a_quarter_batch_is_worth_a_prompt_read(generator, monkeypatch):
    monkeypatch.setattr(generator, "batch_size", 16)
    ranks = [int(rank) for rank in "012" * 6]
    encoded = [[1, 2, 3]] * len(ranks)
    assert generator._joining(11, deque(range(18)), encoded, 4, ranks) == 3  # 5 free places: one prompt's 3


def test_stop_strings_cut_the_text(generator):
    free = generator.generate(chat(generator, PROMPTS[:1]), max_new_tokens=12)[0].text
    stop = free[3:5]
    cut = generator.generate(chat(generator, PROMPTS[:1]), max_new_tokens=12, stop=(stop,))[0]
    assert cut.stopped and cut.text == free[: free.find(stop)] and cut.stop_string == stop
    later = free[6:8]
    first = generator.generate(chat(generator, PROMPTS[:1]), max_new_tokens=12, stop=(later, stop))[0]
    assert first.stop_string == stop  # the earliest stop string in the text ends it, whatever the order given


def test_a_prompt_longer_than_the_window_is_reported_not_cut(generator):
    results = generator.generate(["word " * 2000, "short"], max_new_tokens=4)
    assert results[0].error.startswith("This row is too long for the model") and results[0].tokens == []
    assert "Shorten the text in the file or split it into several rows and run a new job on it" in results[0].error
    assert results[1].error is None


def test_option_probabilities_sum_to_one_and_follow_the_likelihood(generator):
    prompt = chat(generator, PROMPTS[:1])[0]
    probabilities = generator.option_probabilities([prompt], ["billing", "shipping", "returns"])
    assert probabilities.shape == (1, 3) and np.isclose(probabilities.sum(), 1.0)
    ids = generator.encode(prompt)
    end = [min(generator.eos_ids)]
    one_by_one = [reference_log_likelihood(generator, ids, generator.encode(o) + end) for o in ["billing", "shipping", "returns"]]
    assert np.allclose(probabilities[0], np.exp(one_by_one) / np.exp(one_by_one).sum(), atol=1e-4)
    first_token_only = generator.option_probabilities([prompt], ["yes", "no"])
    assert np.all(first_token_only > 0)


def test_option_probabilities_of_a_batch_are_each_prompts_own(generator):
    """Prompts of different lengths read together (shared start once, padding masked), in batches of the
    generator's size, score their options as each prompt alone does."""
    prompts = chat(generator, PROMPTS + ["a second, much longer message about a late parcel and a refund " * 3])
    together = generator.option_probabilities(prompts, ["billing", "shipping", "a refund please"])
    alone = np.vstack([generator.option_probabilities([p], ["billing", "shipping", "a refund please"]) for p in prompts])
    assert together.shape == (5, 3) and np.allclose(together.sum(axis=1), 1.0)
    assert np.allclose(together, alone, atol=1e-4)


def reference_log_likelihood(generator, prompt: list[int], answer: list[int]) -> float:
    """log P(answer | prompt) from one plain run over the whole sequence, no cache."""
    ids = np.array([prompt + answer])
    past = generator._empty_cache(1)
    logits, _ = generator._run(ids, np.ones_like(ids), np.arange(ids.shape[1])[None], past)
    steps = _log_softmax(logits[0, len(prompt) - 1 : -1])
    return float(steps[np.arange(len(answer)), answer].sum())


def test_constrained_json_always_parses_and_follows_the_schema(generator):
    rows = guided_json(generator, chat(generator, PROMPTS * 2), SCHEMA)
    for row in rows:
        value = json.loads(row.text)
        assert list(value) == list(SCHEMA["properties"])
        assert isinstance(value["name"], str) and isinstance(value["amount"], (int, float))
        assert isinstance(value["count"], int) and isinstance(value["urgent"], bool)
        assert value["queue"] in ("billing", "shipping", "returns") and len(value["tags"]) <= 3
        assert value["note"] is None or isinstance(value["note"], str)


def test_guided_rows_parked_by_a_full_cache_finish_with_the_same_answers(generator, monkeypatch):
    from workbench.models import generator as runtime

    prompts = chat(generator, PROMPTS)
    expected = [row.text for row in guided_json(generator, prompts, SCHEMA)]
    longest = max(len(generator.encode(p)) for p in prompts)
    monkeypatch.setattr(generator, "batch_size", 4)
    monkeypatch.setattr(runtime, "GUIDED_ANSWER_TOKENS", 1)  # all four rows start together...
    monkeypatch.setattr(runtime, "CACHE_TOKENS", 4 * (longest + 1) + 8)  # ...and the cache fills within a few steps
    sizes, parked, run = [], [], generator._guide_batch
    monkeypatch.setattr(generator, "_guide_batch",
                        lambda rows, guides, budget: sizes.append(len(rows)) or parked.append(run(rows, guides, budget))
                        or parked[-1])
    assert [row.text for row in guided_json(generator, prompts, SCHEMA)] == expected
    assert sizes[0] == 4 and parked[0] and parked[-1] == []  # some parked at first, every one finished in the end


class CountingGuide:
    """Writes token 0 a given number of times, whatever the model says."""

    def __init__(self, steps: int):
        self.steps, self.tokens = steps, []

    @property
    def done(self) -> bool:
        return len(self.tokens) == self.steps

    def next(self, _logits):
        if self.done:
            return None
        self.tokens.append(0)
        return [0]


def test_a_row_completed_by_the_chunk_that_would_park_it_is_not_parked(generator, monkeypatch):
    from workbench.models import generator as runtime

    monkeypatch.setattr(runtime, "CACHE_TOKENS", 1)  # room for one row after the first step: the second is parked...
    rows = [generator.encode(p) for p in chat(generator, PROMPTS[:2])]
    guides = [CountingGuide(3), CountingGuide(1)]  # ...unless that step was its last
    assert generator._guide_batch(rows, guides, 8) == []
    assert generator._guide_batch(rows, [CountingGuide(3), CountingGuide(2)], 8) == [1]


def test_a_guide_is_done_once_its_value_is_complete(generator):
    guide = JsonGuide({"type": "object", "properties": {"urgent": {"type": "boolean"}}}, generator.vocabulary())
    logits = np.zeros(generator.tokenizer.get_vocab_size(), dtype=np.float32)
    written = []
    while not guide.done:
        written += guide.next(logits)
    assert json.loads(generator.decode(written)) in ({"urgent": True}, {"urgent": False})
    assert guide.next(logits) is None


def test_copied_strings_are_pieces_of_the_row_text(generator):
    copied = {"type": "string", COPY: True}
    schema = {"type": "object", "properties": {"who": copied, "items": {"type": "array", "items": copied}}}
    sources = PROMPTS * 2
    rows = guided_json(generator, chat(generator, sources), schema, sources=sources)
    values = [json.loads(row.text) for row in rows]
    written = [(v, s) for value, s in zip(values, sources, strict=True) for v in [value["who"], *value["items"]]]
    assert any(v for v, _ in written)  # the tiny model does copy something, so the check means something
    assert all(v in source for v, source in written)
    assert [(v, s) for v, s in written if v.strip() and not re.search(rf"(?<!\w){re.escape(v.strip())}(?!\w)", s)] == []


def test_block_wise_8_bit_stays_close_to_the_float_model(tiny_generator_folders, generator):
    # The tiny random model sits near ties, so greedy agreement is measured on the real model
    # (benchmarks/generator_bench.py); here: the next-token logits barely move.
    quantized = OnnxGenerator(tiny_generator_folders["int8-block32"], batch_size=3)
    for prompt in chat(generator, PROMPTS):
        ids = tuple(generator.encode(prompt))
        before, after = generator._prefix(ids)[1], quantized._prefix(ids)[1]
        assert np.corrcoef(before, after)[0, 1] > 0.99


def test_reading_a_prompt_skips_the_lm_head_before_its_last_token(generator):
    assert generator.slices_logits  # export adds the logits_from input (workbench/models/last_logits.py)
    ids = np.array([generator.encode("one two three four five")], dtype=np.int64)
    mask, positions = np.ones_like(ids), np.arange(ids.shape[1])[None]
    every, _ = generator._run(ids, mask, positions, generator._empty_cache(1))
    last, _ = generator._run(ids, mask, positions, generator._empty_cache(1), logits_from=ids.shape[1] - 1)
    assert every.shape[1] == ids.shape[1] and last.shape[1] == 1
    np.testing.assert_allclose(last[0, 0], every[0, -1], atol=1e-5)


def test_the_cache_budget_limits_rows_per_batch_without_changing_answers(generator, monkeypatch):
    from workbench.models import generator as runtime

    prompts = chat(generator, PROMPTS)
    expected = [o.tokens for o in generator.generate(prompts, max_new_tokens=6)]
    widths, run = [], generator._run
    monkeypatch.setattr(generator, "_run", lambda ids, *rest, **kw: widths.append(len(ids)) or run(ids, *rest, **kw))
    monkeypatch.setattr(runtime, "CACHE_TOKENS", 1)  # room for one row at a time
    assert [o.tokens for o in generator.generate(prompts, max_new_tokens=6)] == expected
    assert max(widths) == 1
    widths.clear()
    guided_json(generator, prompts, SCHEMA)  # guided batches keep to the budget too
    assert max(widths) == 1


def test_export_groups_query_heads_instead_of_repeating_the_cache(tiny_generator_folders):
    import onnx

    folder = tiny_generator_folders["none"]
    graph = onnx.load(str(folder / "model.quant.onnx")).graph
    ungrouped = [n for n in graph.node if n.name.endswith("/Ungrouped")]
    assert len(ungrouped) == 2 * 2  # keys and values in each of the tiny model's 2 layers
    assert not any(n.op_type == "Unsqueeze" and n.input[0].startswith("present.") for n in graph.node)


def test_export_masks_attention_with_a_finite_minimum_and_no_nan_guards(tiny_generator_folders):
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(tiny_generator_folders["none"] / "model.quant.onnx")).graph
    assert not any(n.op_type == "IsNaN" for n in graph.node)
    constants = [numpy_helper.to_array(n.attribute[0].t) for n in graph.node if n.op_type == "Constant"]
    assert not any(np.isneginf(c).any() for c in constants if c.dtype == np.float32)
    # Left-padded rows still answer as PyTorch does: test_batched_generation_with_a_shared_prefix_matches_pytorch...


def test_guided_numbers_never_get_a_leading_zero(generator):
    from workbench.models import guided

    vocab = generator.vocabulary()
    assert not (guided._number_options("0", False, vocab) & vocab.digits).any()  # "012" would not parse
    first = guided._number_options("", True, vocab)
    assert first[vocab.encode("0")[0]] and not (first & vocab.zero_led).any()


@pytest.fixture(scope="session")
def one_part_generator(tiny_llama_source, tmp_path_factory):
    """The tiny model exported as before split_cache.py: the whole cache is one input, copied at every step."""
    from workbench.models import export

    class _Settings:
        models_dir = tmp_path_factory.mktemp("models-one-part")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(export, "split_cache", lambda graph: 0)
        folder = prepare_encoder(_Settings(), TINY_LLAMA, source=tiny_llama_source, preset="none")
    return OnnxGenerator(folder, batch_size=3)


def test_export_reads_the_cache_in_a_settled_and_a_recent_part(generator, tiny_generator_folders):
    import onnx

    graph = onnx.load(str(tiny_generator_folders["none"] / "model.quant.onnx")).graph
    assert generator.splits_cache
    recent = [i.name for i in graph.input if i.name.startswith("recent.")]
    assert len(recent) == 2 * 2  # keys and values in each of the 2 layers
    present = {n.output[0]: n.input[0] for n in graph.node if n.op_type == "Concat" and n.output[0].startswith("present.")}
    assert sorted(present.values()) == sorted(recent)  # only the recent part is copied with the new tokens


@pytest.mark.parametrize("fold_tokens", [1, 3, 10_000])
def test_answers_do_not_depend_on_when_the_recent_part_is_folded(generator, tiny_llama_source, monkeypatch,
                                                                fold_tokens):
    from workbench.models import kv_cache

    monkeypatch.setattr(kv_cache, "FOLD_TOKENS", fold_tokens)
    prompts = chat(generator, PROMPTS)  # 4 prompts at batch 3: one joins a running batch, whose recent part is filled
    for prompt, output in zip(prompts, generator.generate(prompts, max_new_tokens=12), strict=True):
        assert output.tokens == reference_greedy(tiny_llama_source, generator, prompt, 12)


def test_option_scoring_and_guided_answers_do_not_depend_on_folding(generator, monkeypatch):
    from workbench.models import kv_cache

    prompts = chat(generator, PROMPTS)
    answers = {}
    for fold_tokens in (1, 10_000):
        monkeypatch.setattr(kv_cache, "FOLD_TOKENS", fold_tokens)
        answers[fold_tokens] = (generator.option_probabilities(prompts, ["billing", "a refund please"]),
                                [row.text for row in guided_json(generator, prompts, SCHEMA)])
    np.testing.assert_allclose(answers[1][0], answers[10_000][0], atol=1e-5)
    assert answers[1][1] == answers[10_000][1]


def test_a_model_prepared_before_the_split_still_answers_the_same(one_part_generator, generator):
    assert not one_part_generator.splits_cache
    prompts = chat(generator, PROMPTS)
    assert [o.tokens for o in one_part_generator.generate(prompts, max_new_tokens=12)] == \
        [o.tokens for o in generator.generate(prompts, max_new_tokens=12)]


def test_a_graph_that_reads_its_cache_in_an_unknown_way_is_left_as_it_is():
    from onnx import TensorProto, helper

    from workbench.models.split_cache import split_cache

    cache = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 1, None, 2]) for n in
             ("past_key_values.0.key", "new")]
    graph = helper.make_graph([helper.make_node("Concat", ["past_key_values.0.key", "new"], ["present.0.key"], axis=2),
                               helper.make_node("Relu", ["present.0.key"], ["out"])], "g", cache,
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)])
    before = graph.SerializeToString()
    assert split_cache(graph) == 0 and graph.SerializeToString() == before


def test_a_list_of_additional_special_tokens_does_not_stop_a_chat_model_loading(tiny_generator_folders, tmp_path):
    import shutil

    folder = shutil.copytree(tiny_generator_folders["none"], tmp_path / "chat-model")
    path = folder / "special_tokens_map.json"
    special = json.loads(path.read_text()) if path.exists() else {}
    # As SmolLM2- and Qwen2.5-Instruct write it: every other entry is one token, this one a list.
    special["additional_special_tokens"] = ["<|im_start|>", {"content": "<|im_end|>"}]
    path.write_text(json.dumps(special))
    assert OnnxGenerator(folder).eos_ids


def test_edge_calls_answer_instead_of_failing(generator):
    """Not reached by the templates (their prompts are never empty), but the runtime is a public interface."""
    assert generator.option_probabilities([], ["yes", "no"]).shape == (0, 2)
    empty, written = generator.generate(["", chat(generator, ["Hello"])[0]], max_new_tokens=4)
    assert empty.error and not empty.tokens and written.error is None and 0 < len(written.tokens) <= 4
    assert [g.tokens for g in generator.generate(chat(generator, ["Hello"]), max_new_tokens=0)] == [[]]


def test_an_answer_that_ran_out_of_new_tokens_says_so(generator):
    (free,) = generator.generate(chat(generator, PROMPTS[:1]), max_new_tokens=12)
    assert len(free.tokens) < 12 or free.cut_short  # it ended of itself, or at the budget, which it says
    (short,) = generator.generate(chat(generator, PROMPTS[:1]), max_new_tokens=3)
    assert len(short.tokens) == 3 and short.cut_short and not short.stopped
    (stopped,) = generator.generate(chat(generator, PROMPTS[:1]), max_new_tokens=12, stop=(free.text[3:5],))
    assert stopped.stopped and not stopped.cut_short  # ended at its stop string
