"""What models of other families than the bundled ones need: chat templates that refuse a system turn, end tokens
listed only in generation_config.json, RoBERTa-style position ids, GPT-2's names, SentencePiece-only tokenizers,
sliding windows, and a family never checked said as such."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.test_generator import chat, tiny_generator_folders, tiny_llama_source  # noqa: F401 (fixtures)
from workbench.models.chat import ChatFormatter, TemplateRefusal
from workbench.models.generator import OnnxGenerator
from workbench.models.sources import generator_window, max_length, sliding_window

# As Gemma's template does: no system turn, and user/model turns only.
NO_SYSTEM_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}"
    "<start_of_turn>user\n{{ message['content'] }}<end_of_turn>\n{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}")


def test_a_template_refusing_a_system_turn_gets_its_text_before_the_users():
    formatter = ChatFormatter(NO_SYSTEM_TEMPLATE, {})
    prompt = formatter.prompt("Summarise: the parcel is late.", system="You write short summaries.")
    assert prompt == ("<start_of_turn>user\nYou write short summaries.\n\nSummarise: the parcel is late.<end_of_turn>\n"
                      "<start_of_turn>model\n")


def test_a_template_refusing_the_user_turn_itself_is_still_reported():
    formatter = ChatFormatter("{{ raise_exception('Only tools may speak') }}", {})
    with pytest.raises(TemplateRefusal, match="refused the prompt: Only tools may speak"):
        formatter.prompt("Hello", system="Be brief.")


@pytest.mark.parametrize(("config", "kind", "expected"), [
    ({"model_type": "roberta", "max_position_embeddings": 130, "pad_token_id": 1}, "encoder", 128),
    ({"model_type": "xlm-roberta", "max_position_embeddings": 514, "pad_token_id": 1}, "encoder", 512),
    ({"model_type": "bert", "max_position_embeddings": 128, "pad_token_id": 0}, "encoder", 128),
    ({"model_type": "gpt2", "n_positions": 1024}, "generator", 1024),
    ({"model_type": "llama", "max_position_embeddings": 8192}, "generator", 8192),
])
def test_the_longest_input_follows_how_the_family_numbers_positions(tmp_path, config, kind, expected):
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert max_length(tmp_path, kind) == expected


def test_end_tokens_listed_only_in_generation_config_stop_a_reply(tiny_generator_folders, tmp_path):  # noqa: F811
    """Phi-3 ends its turn with <|end|>, named only in generation_config.json: the reply ran on past it."""
    folder = shutil.copytree(tiny_generator_folders["none"], tmp_path / "model")
    before = OnnxGenerator(folder, batch_size=3)
    prompt = chat(before, ["The parcel arrived late."])[0]
    first_token = before.generate([prompt], max_new_tokens=4)[0].tokens[0]
    (folder / "generation_config.json").write_text(json.dumps({"eos_token_id": [min(before.eos_ids), first_token]}))
    after = OnnxGenerator(folder, batch_size=3)
    assert first_token in after.eos_ids and not after.generate([prompt], max_new_tokens=4)[0].tokens


def _sentencepiece_only_xlm_roberta(folder):
    """A tiny XLM-R whose tokenizer is only its SentencePiece file, as older hub folders are."""
    import sentencepiece
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizer

    from tests.tiny_models import WORDS

    folder.mkdir(parents=True)
    lines = [" ".join(WORDS[i:] + WORDS[:i]) for i in range(len(WORDS))]
    sentencepiece.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_prefix=str(folder / "sentencepiece.bpe"),
                                             vocab_size=120, model_type="bpe", minloglevel=2)
    tokenizer = XLMRobertaTokenizer(vocab_file=str(folder / "sentencepiece.bpe.model"))
    tokenizer.save_pretrained(folder)
    (folder / "tokenizer.json").unlink(missing_ok=True)
    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                              intermediate_size=64, max_position_embeddings=66, pad_token_id=1)
    XLMRobertaModel(config).eval().save_pretrained(folder)
    return folder, tokenizer


def test_a_folder_with_only_a_sentencepiece_tokenizer_is_added_and_reads_the_same_tokens(settings, tmp_path):
    from workbench.models import registry
    from workbench.models.encoder import OnnxEncoder

    source, slow_tokenizer = _sentencepiece_only_xlm_roberta(tmp_path / "xlmr")
    encoder = OnnxEncoder(registry.add_model(settings, str(source), preset="none"))
    text = "my parcel arrived late and the invoice was wrong"
    assert encoder.tokenizer.encode(text).ids == slow_tokenizer(text)["input_ids"]
    assert encoder.manifest.max_length == 64  # 66 positions, counted from after the padding id
    assert encoder.manifest.measurements["agreement_with_original"] > 0.999  # its tokens, as transformers reads them


def test_a_folder_without_any_tokenizer_is_refused_before_the_export(settings, tmp_path):
    from tests.tiny_models import build_tiny_encoder_source
    from workbench.errors import ModelNotReadyError
    from workbench.models import registry

    source = build_tiny_encoder_source(tmp_path / "bert")
    for name in ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
        (source / name).unlink()
    with pytest.raises(ModelNotReadyError, match="has no tokenizer.json, and its tokenizer cannot be made"):
        registry.add_model(settings, str(source))
    assert not list(settings.models_dir.glob("*bert*"))


@pytest.fixture(scope="module")
def llama_tokenizer_source(tmp_path_factory):
    from tests.tiny_models import build_tiny_llama_source

    return build_tiny_llama_source(tmp_path_factory.mktemp("families") / "llama")


def _saved_with_tokenizer(model, tokenizer_source, folder):
    """A tiny model of another family, saved with the tiny Llama's tokenizer and chat template."""
    from transformers import AutoTokenizer

    AutoTokenizer.from_pretrained(tokenizer_source).save_pretrained(folder)
    model.save_pretrained(folder)
    return folder


def _seeded(model_class, config):
    import torch

    torch.manual_seed(0)
    return model_class(config).eval()


def _assert_answers_as_in_pytorch(generator, reference):
    """A padded batch of three rows sharing their instruction prefix, each answer the model's own greedy one."""
    import torch

    prompts = chat(generator, ["The parcel arrived late.", "Refund my card payment of 45 euros please", "yes"])
    for prompt, answer in zip(prompts, generator.generate(prompts, max_new_tokens=6), strict=True):
        ids = torch.tensor([generator.tokenizer.encode(prompt).ids])
        expected = reference.generate(ids, max_new_tokens=6, do_sample=False, pad_token_id=0)[0, ids.shape[1]:]
        assert answer.tokens == expected.tolist()[: len(answer.tokens)] and answer.tokens


def test_gpt2_is_added_as_a_generator_and_answers_as_in_pytorch(settings, llama_tokenizer_source, tmp_path):
    """GPT-2 names its class ...LMHeadModel and its heads n_head: it was added as an encoder."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from workbench.models import registry

    config = GPT2Config(vocab_size=400, n_embd=32, n_layer=2, n_head=4, n_positions=256, eos_token_id=2,
                        initializer_range=0.5)
    model = _seeded(GPT2LMHeadModel, config)
    source = _saved_with_tokenizer(model, llama_tokenizer_source, tmp_path / "gpt2")
    generator = OnnxGenerator(registry.add_model(settings, str(source), preset="none"), batch_size=3)
    assert (generator.manifest.kind, generator.window) == ("generator", 256)
    _assert_answers_as_in_pytorch(generator, model)


@pytest.mark.parametrize(("config_class", "model_class"), [("GemmaConfig", "GemmaForCausalLM"),
                                                           ("Gemma2Config", "Gemma2ForCausalLM"),
                                                           ("Gemma3TextConfig", "Gemma3ForCausalLM")])
def test_gemma_models_are_exported_with_position_ids_and_answer_as_in_pytorch(settings, llama_tokenizer_source,
                                                                             tmp_path, config_class, model_class):
    """optimum's Gemma export takes no position ids: the runtime could not run it, and padded rows would be misread."""
    import torch
    import transformers

    from workbench.models import registry

    config = getattr(transformers, config_class)(
        vocab_size=400, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=1, head_dim=8, max_position_embeddings=1024, sliding_window=128, eos_token_id=2,
        pad_token_id=0, tie_word_embeddings=False)
    model = getattr(transformers, model_class)(config).eval()
    with torch.no_grad():  # Gemma's own initial weights answer one token over and over, whatever the prompt
        for name, weights in model.named_parameters():
            weights.normal_(0, 0.05 if "embed" in name else 0.5)
    source = _saved_with_tokenizer(model, llama_tokenizer_source, tmp_path / "gemma")
    generator = OnnxGenerator(registry.add_model(settings, str(source), preset="none"), batch_size=3)
    assert "position_ids" in {i.name for i in generator.session.get_inputs()}
    _assert_answers_as_in_pytorch(generator, model)


def test_a_family_never_checked_that_fails_its_export_is_named_not_called_damaged(settings, llama_tokenizer_source,
                                                                                   tmp_path):
    from transformers import MambaConfig, MambaForCausalLM

    from workbench.errors import ModelNotReadyError
    from workbench.models import registry

    config = MambaConfig(vocab_size=400, hidden_size=16, num_hidden_layers=1, state_size=4, expand=2)
    source = _saved_with_tokenizer(_seeded(MambaForCausalLM, config), llama_tokenizer_source, tmp_path / "mamba")
    with pytest.raises(ModelNotReadyError, match="it is a 'mamba' model, a family this version has not been checked "
                                                 "with.*Choose a model of a family checked: llama") as refused:
        registry.add_model(settings, str(source))
    assert "damaged" not in str(refused.value)


@pytest.mark.parametrize(("config", "sliding"), [
    ({"max_position_embeddings": 32768, "sliding_window": 4096}, 4096),  # Mistral v0.1
    ({"max_position_embeddings": 4096, "sliding_window": 2047}, 2047),  # Phi-3-mini-4k
    ({"max_position_embeddings": 32768, "sliding_window": 32768, "use_sliding_window": False}, None),  # Qwen2.5
    ({"max_position_embeddings": 32768, "sliding_window": None}, None),  # Mistral v0.2
])
def test_a_sliding_window_is_read_where_the_model_uses_one(config, sliding):
    assert (generator_window(config), sliding_window(config)) == (config["max_position_embeddings"], sliding)


@pytest.mark.parametrize(("config_class", "model_class"), [("MistralConfig", "MistralForCausalLM"),
                                                           ("Gemma2Config", "Gemma2ForCausalLM")])
def test_rows_past_a_sliding_window_answer_as_alone(settings, llama_tokenizer_source, tmp_path, config_class,
                                                    model_class):
    """A window counted in cache slots saw fewer of a row's tokens when padding sat inside the row: between the shared
    instruction and the row's text, or after a shorter chunk (an opening, a guided answer's forced tokens)."""
    import torch
    import transformers

    from workbench.models import registry

    config = getattr(transformers, config_class)(
        vocab_size=400, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=1, head_dim=8, max_position_embeddings=1024, sliding_window=24, eos_token_id=2,
        pad_token_id=0, tie_word_embeddings=False)
    model = getattr(transformers, model_class)(config).eval()
    with torch.no_grad():
        for name, weights in model.named_parameters():
            weights.normal_(0, 0.05 if "embed" in name else 0.5)
    source = _saved_with_tokenizer(model, llama_tokenizer_source, tmp_path / "sliding")
    generator = OnnxGenerator(registry.add_model(settings, str(source), preset="none"), batch_size=3)
    assert (generator.window, generator.sliding) == (1024, 24)
    _assert_answers_as_in_pytorch(generator, model)  # prompts of 30-45 tokens: past the window
    _assert_openings_answer_as_in_pytorch(generator, model)


def _assert_openings_answer_as_in_pytorch(generator, reference):
    """Answers that start with openings of unlike lengths (1 to 11 tokens), 30 tokens each: past a window of 24."""
    import torch

    prompts = ["Summarise: the parcel", "Summarise: refund my card payment"]
    openings = [["yes", "the invoice was wrong please refund my card"], ["ok", "thanks a lot for the parcel"]]
    answers = generator.generate_alternatives(prompts, 2, max_new_tokens=30, openings=openings)
    for prompt, own, written in zip(prompts, openings, answers, strict=True):
        for answer in written:
            opening = next(generator.encode(o) for o in own if answer.tokens[: len(generator.encode(o))] ==
                           generator.encode(o))
            ids = torch.tensor([generator.encode(prompt) + opening])
            rest = reference.generate(ids, max_new_tokens=30 - len(opening), do_sample=False, pad_token_id=0,
                                      eos_token_id=sorted(generator.eos_ids))[0, ids.shape[1]:].tolist()
            rest = next((rest[:n] for n, token in enumerate(rest) if token in generator.eos_ids), rest)
            assert answer.tokens == opening + rest


@pytest.mark.parametrize(("config", "files", "kind"), [
    ({"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"]}, {}, "generator"),
    ({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"]}, {}, "generator"),
    ({"model_type": "t5", "architectures": ["T5EncoderModel"], "is_encoder_decoder": True}, {}, "encoder"),
    ({"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"]},  # gte-Qwen2: an embedding model
     {"modules.json": [{"path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]}, "encoder"),
])
def test_the_kind_of_model_follows_what_it_does_not_only_its_class_name(tmp_path, config, files, kind):
    from workbench.models.sources import detect_kind

    (tmp_path / "config.json").write_text(json.dumps(config))
    for name, content in files.items():
        (tmp_path / name).write_text(json.dumps(content))
    assert detect_kind(tmp_path) == kind


def test_an_encoder_decoder_model_is_refused_in_words_before_the_export(settings, tmp_path):
    from workbench.errors import ModelNotReadyError
    from workbench.models import registry

    folder = tmp_path / "flan-t5"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "t5", "is_encoder_decoder": True,
                                                    "architectures": ["T5ForConditionalGeneration"]}))
    (folder / "model.safetensors").write_bytes(b"")
    with pytest.raises(ModelNotReadyError, match=r"'flan-t5' is an encoder-decoder model \(t5\), which this version "
                                                 "cannot run"):
        registry.add_model(settings, str(folder))
