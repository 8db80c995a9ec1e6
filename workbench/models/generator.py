"""Batched greedy generation on onnxruntime with a KV cache and a shared prompt prefix.

A batch is laid out as [shared prefix][left padding][row tokens]: the prefix's keys and values are
computed once (and cached across batches), the padding is masked out, and position ids run on from the
prefix, so each row sees exactly the sequence it would see alone. The batch rolls: when rows finish,
the next prompts are read and joined to it, their caches left-padded (and masked) to a common length.
The cache is held in a settled and a recent part, so a step does not copy all of it (kv_cache.py).
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from workbench.errors import ModelNotReadyError
from workbench.io.rows import TOO_LONG_FOR_THE_MODEL
from workbench.models import interrupt
from workbench.models.batch import Batch, joined_batches, with_rows
from workbench.models.chat import ChatFormatter, load_chat_template
from workbench.models.damaged import read_as_damaged
from workbench.models.kv_cache import KVCache
from workbench.models.last_logits import LOGITS_FROM
from workbench.models.manifest import Manifest, read_manifest
from workbench.models.openings import Openings
from workbench.models.sessions import session_options
from workbench.models.sources import generator_window, sliding_window
from workbench.models.split_cache import RECENT
from workbench.models.stops import Generation, Stops, ends_at_stop

PREFIX_CACHE_SIZE = 4
# The key/value cache grows with rows x (prompt + answer) tokens (46 KB a token for SmolLM2-135M, twice that
# while its recent part is folded in or rows join), so long prompts share a batch with fewer rows: peak memory
# stays near 1.2 GB.
CACHE_TOKENS = 4096
# Guided rows share a batch counted with this many answer tokens each, not their schema's worst case (1,672
# for six lists, which left two rows per batch); rows that do run long are parked and finished in a later
# batch, so the cache still keeps within CACHE_TOKENS. WNUT-17 extract jobs: 1.5x the rows/s, same answers,
# peak 1.30-1.36 GB (128: 1.4-1.5x, but up to 1.53 GB; docs/benchmarks.md).
GUIDED_ANSWER_TOKENS = 192
# Prompt tokens per model call: a call returns logits for every token it reads (rows x tokens x 49k
# floats for SmolLM2: 3.5 GB for 16 rows of 1,100 tokens), so prompts are read in chunks of this many
# tokens. 256 keeps that array near 50 MB; it measured as fast as 512, and peak memory at
# batch 8 fell by ~0.25 GB against 512.
PREFILL_TOKENS = 256


class OnnxGenerator:
    def __init__(self, folder: Path, batch_size: int = 16):
        manifest = read_manifest(folder)
        if manifest is None:
            raise ModelNotReadyError(f"No prepared model in '{folder}'. Prepare it on the Models page (or `workbench models prepare`).")
        self.manifest: Manifest = manifest
        self.folder, self.batch_size = Path(folder), batch_size
        with read_as_damaged(self.folder, manifest):
            self.tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
            self.session = _session(self.folder / manifest.onnx_file)
            self._read_config()
        self._prefix_cache: dict[tuple[int, ...], tuple[KVCache, np.ndarray]] = {}
        self._vocabulary = None

    def _read_config(self) -> None:
        config = json.loads((self.folder / "config.json").read_text())
        special = json.loads((self.folder / "special_tokens_map.json").read_text()) if (
            self.folder / "special_tokens_map.json").exists() else {}
        # Single tokens only: `additional_special_tokens` is a list (SmolLM2-, Qwen2.5-Instruct).
        names = {k: v if isinstance(v, str) else v.get("content") for k, v in special.items() if isinstance(v, str | dict) and v}
        self.chat = ChatFormatter(load_chat_template(self.folder), names)
        self.window, self.sliding = generator_window(config), sliding_window(config)
        self.eos_ids = _end_tokens(config) | _end_tokens(_json_or_empty(self.folder / "generation_config.json"))
        if names.get("eos_token"):
            self.eos_ids.add(self.tokenizer.token_to_id(names["eos_token"]))
        self.pad_id = config.get("pad_token_id") or min(self.eos_ids)
        self.past_names = [i.name for i in self.session.get_inputs() if i.name.startswith("past_key_values")]
        shape = next(i.shape for i in self.session.get_inputs() if i.name.startswith("past_key_values"))
        self.kv_heads, self.head_dim = int(shape[1]), int(shape[3])
        # Models prepared before workbench/models/split_cache.py read the whole cache as one part.
        self.splits_cache = any(i.name.startswith(RECENT) for i in self.session.get_inputs())
        # Models prepared before workbench/models/last_logits.py have no such input and return every position.
        self.slices_logits = any(i.name == LOGITS_FROM for i in self.session.get_inputs())

    # -- public API -------------------------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True)

    def generate(self, prompts: list[str], max_new_tokens: int = 48, stop: Stops = ()) -> list[Generation]:
        """Greedy continuations of each prompt, in the order given; batches hold prompts of similar length."""
        encoded = [self.encode(p) for p in prompts]
        return self._generate(encoded, [0] * len(encoded), max_new_tokens, stop)

    def generate_alternatives(self, prompts: list[str], count: int, max_new_tokens: int = 48,
                              stop: Stops = (), openings: list[list[str]] | None = None) -> list[list[Generation]]:
        """`count` answers to each prompt: the k-th starts with the model's k-th likeliest first token and goes
        on greedily (the first is the greedy answer). A prompt given openings instead gets answers that start with
        them (the opening is part of the answer): all are written, and the `count` the model finds likeliest
        go on greedily, likeliest first (models/openings.py). Each prompt is read once for all of its answers."""
        encoded = [self.encode(p) for p in prompts]
        starts = [self._openings(openings[i] if openings else None, count, encoded[i], max_new_tokens)
                  for i in range(len(prompts))]
        plan = Openings([o for own in starts for o in own], [i for i, own in enumerate(starts) for _ in own], count)
        flat = self._generate([ids for ids, own in zip(encoded, starts, strict=True) for _ in own],
                              [rank for own in starts for rank in range(len(own))], max_new_tokens, stop, plan)
        return [[flat[row] for row in rows] for rows in plan.kept()]

    def _openings(self, texts: list[str] | None, count: int, prompt: list[int], max_new_tokens: int) -> list[list[int]]:
        """Each answer's opening tokens, leaving at least one token of the budget to write after it. A prompt too
        long for a batch to read all its openings at once gets its first `count`, unscored; with no room to write
        an opening, or none given, the answers start with the likeliest first tokens instead."""
        if not texts or max_new_tokens < 2:
            return [[] for _ in range(count)]
        if self._rows_allowed(prompt, max_new_tokens) < len(texts):
            texts = texts[:count]
        return [self.encode(text)[: max_new_tokens - 1] for text in texts]

    def _generate(self, encoded: list[list[int]], ranks: list[int], max_new_tokens: int,
                  stop: Stops, openings: Openings | None = None) -> list[Generation]:
        openings = openings or Openings.none(len(encoded))
        results = [self._too_long(ids, max_new_tokens) or self._empty(ids) or Generation() for ids in encoded]
        if max_new_tokens < 1:
            return results  # nothing to write (decoding would still write its first token)
        # A stable sort: the alternatives of one prompt stay side by side, so they join a batch together.
        fitting = sorted((i for i, r in enumerate(results) if r.error is None), key=lambda i: len(encoded[i]))
        self._decode_rolling(encoded, fitting, results, max_new_tokens, stop, ranks, openings)
        for row in fitting:
            results[row].text = results[row].text if results[row].stopped else self.decode(results[row].tokens)
        return results

    def decode_raw(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=False)

    def vocabulary(self):
        """Token texts and masks for constrained decoding, built once per model."""
        if self._vocabulary is None:
            from workbench.models.guided import Vocabulary

            self._vocabulary = Vocabulary(self)
        return self._vocabulary

    def run_guides(self, prompts: list[str], guides: list, budget: int = 256) -> list[str | None]:
        """Decode each prompt under its guide (see guided.py); returns an error per row, or None.

        A row parked by a full cache goes on in a later round, its answer so far read as part of its prompt."""
        encoded = [self.encode(p) for p in prompts]
        errors = [self._too_long(ids, budget) for ids in encoded]
        waiting = [i for i, e in enumerate(errors) if e is None]
        while waiting:
            so_far = {i: encoded[i] + guides[i].tokens for i in waiting}
            order = sorted(waiting, key=lambda i: len(so_far[i]))
            waiting = [rows[p] for rows in self._batches(order, so_far, min(budget, GUIDED_ANSWER_TOKENS))
                       for p in self._guide_batch([so_far[i] for i in rows], [guides[i] for i in rows], budget)]
        return [e.error if e else None for e in errors]

    def _batches(self, order: list[int], encoded: list[list[int]], new_tokens: int) -> list[list[int]]:
        """Consecutive rows of `order` (shortest prompts first) in batches within the size and cache budgets."""
        batches: list[list[int]] = []
        for row in order:
            if not batches or len(batches[-1]) >= self._rows_allowed(encoded[row], new_tokens):
                batches.append([])
            batches[-1].append(row)
        return batches

    def _guide_batch(self, rows: list[list[int]], guides: list, budget: int) -> list[int]:
        """Run the rows under their guides until each is done or parked; returns the parked rows' positions."""
        batch, logits = self._read_prompts(rows, budget)
        parked = []
        while True:
            chunks, active = [], []
            for position, row in enumerate(batch.rows):
                ids = guides[row].next(logits[position])
                if ids:
                    chunks.append(ids)
                    active.append(position)
            if not active:
                return parked
            room = max(1, CACHE_TOKENS // (batch.mask.shape[1] + max(len(c) for c in chunks)))
            # Their guides hold what they wrote, this chunk too; a row this chunk completed needs no later round.
            parked += [batch.rows[p] for p in active[room:] if not guides[batch.rows[p]].done]
            batch = with_rows(batch, active[:room])
            logits = self._feed(batch, chunks[:room])

    def option_probabilities(self, prompts: list[str], options: list[str]) -> np.ndarray:
        """P(option | prompt) for each prompt (rows) and option (columns), each option as a complete answer (the
        end-of-turn token included). Prompts are read in batches of like length, their shared start once."""
        if not prompts:
            return np.empty((0, len(options)))
        encoded = [self.encode(prompt) for prompt in prompts]
        option_ids = [self.encode(option) + [min(self.eos_ids)] for option in options]
        answer = max(len(o) for o in option_ids)
        if max(len(ids) for ids in encoded) + answer > self.window:
            raise ValueError(f"A prompt is too long: with its answer the model reads at most {self.window} tokens.")
        order = np.argsort([len(ids) for ids in encoded], kind="stable")  # batches of like lengths: little padding
        scores, start = np.empty((len(encoded), len(options))), 0
        while start < len(order):
            longest = encoded[order[min(start + self.batch_size, len(order)) - 1]]
            batch = order[start:start + self._rows_allowed(longest, answer)]
            scores[batch] = self._option_scores([encoded[i] for i in batch], option_ids)
            start += len(batch)
        return np.exp(_log_softmax(scores))

    def _option_scores(self, prompts: list[list[int]], options: list[list[int]]) -> np.ndarray:
        """Log-likelihood of each option (columns) after each prompt (rows): the prompts are read once, then each
        option is read after all of them, on a copy of their cache (one copy at a time keeps memory down)."""
        batch, last = self._read_prompts(prompts, max(len(option) for option in options))
        first = _log_softmax(last)
        return np.stack([self._option_log_likelihoods(batch, first, [option] * len(prompts)) for option in options],
                        axis=1)

    # -- decoding ---------------------------------------------------------------------------------

    @staticmethod
    def _empty(ids: list[int]) -> Generation | None:
        """An empty prompt (raw, with no chat template around it) gives the model nothing to continue from."""
        return None if ids else Generation(error="The prompt is empty: there is nothing for the model to continue.")

    def _too_long(self, ids: list[int], max_new_tokens: int) -> Generation | None:
        if len(ids) + max_new_tokens <= self.window:
            return None
        return Generation(error=f"{TOO_LONG_FOR_THE_MODEL}with the instructions and the answer it needs "
                                f"{len(ids) + max_new_tokens:,} tokens (pieces of words), and the model reads at most "
                                f"{self.window:,}. Shorten the text in the file or split it into several rows and run a "
                                "new job on it, or choose a model that reads more.")

    def _decode_rolling(self, encoded: list[list[int]], order: list[int], outputs: list[Generation],
                        max_new_tokens: int, stop: Stops, ranks: list[int], openings: Openings) -> None:
        """Greedy decoding of the rows in `order`; as rows finish, the next ones take their places in the batch.

        Answers differ in length (one word to max_new_tokens), so fixed batches would spend most steps
        on a few long answers; a step costs nearly as much for 2 rows as for 8.
        """
        waiting, batch, logits = deque(order), None, None
        alternatives = ranks if any(ranks) else None  # several answers per prompt: they join together
        placed = [rank < openings.keep for rank in ranks]  # a prompt's openings past `keep` are dropped once read
        spare = max(ranks, default=0) + 1 - openings.keep  # one prompt's dropped openings: read beyond the batch size
        while waiting or (batch and batch.rows):
            running = openings.places(batch.rows) if batch else 0
            joining = self._joining(running, waiting, encoded, max_new_tokens, alternatives, placed, spare)
            if joining:
                batch, logits = self._admit(batch, logits, [waiting.popleft() for _ in range(joining)], encoded,
                                            openings, outputs, max_new_tokens)
            next_ids = self._next_tokens(logits, batch.rows, outputs, ranks)
            active = self._record(batch, next_ids, outputs, stop, max_new_tokens, openings)
            batch = with_rows(batch, active)
            if active:
                logits = self._step(batch, next_ids[active])

    def _next_tokens(self, logits: np.ndarray, rows: list[int], outputs: list[Generation], ranks: list[int]) -> np.ndarray:
        """The likeliest token for every row, except a row's first token, which is its rank-th likeliest (not the end)."""
        next_ids = logits.argmax(axis=-1)
        for position, row in enumerate(rows):
            if ranks[row] and not outputs[row].tokens:
                likeliest = np.argsort(-logits[position])[: ranks[row] + len(self.eos_ids) + 1]
                next_ids[position] = [t for t in likeliest if t not in self.eos_ids][ranks[row]]
        return next_ids

    def _joining(self, running: int, waiting: deque, encoded: list[list[int]], max_new_tokens: int,
                 ranks: list[int] | None = None, placed: list[bool] | None = None, spare: int = 0) -> int:
        """How many waiting rows join the batch now: within the batch size and the cache budget, and enough
        of them to be worth a prompt read (a quarter batch, or one prompt's alternatives), unless the batch is
        empty or they are the last.

        `running` is the places the batch's rows hold. A row not `placed` (an opening dropped as soon as it is
        read, unless it is among its prompt's likeliest) takes none, but at most `spare` such rows join at once
        (one prompt's), as the prompt's cache is copied for every row while its openings are read.

        The alternatives of one prompt (ranks 0, 1, ... side by side in the queue) join together, so each prompt
        is read once; only into an empty batch do some of them join without the rest."""
        count, places, unplaced = 0, running, 0
        while count < len(waiting):
            row = waiting[count]
            takes_place = placed is None or placed[row]
            full = places >= self._rows_allowed(encoded[row], max_new_tokens) if takes_place else unplaced >= spare
            if full:
                break
            places, unplaced, count = places + takes_place, unplaced + (not takes_place), count + 1
        enough = max(1, self.batch_size // 4)
        if ranks is not None and count < len(waiting):
            whole = count
            while whole and ranks[waiting[whole]] != 0:  # back to where the next prompt's alternatives start
                whole -= 1
            count = whole or (count if running == 0 else 0)
            enough = min(enough, max(ranks) + 1)
        worth_it = running == 0 or count == len(waiting) or count >= enough
        return count if worth_it else 0

    def _rows_allowed(self, prompt: list[int], max_new_tokens: int) -> int:
        """Rows a batch may hold once this prompt (the longest so far: prompts come shortest first) is in it."""
        return max(1, min(self.batch_size, CACHE_TOKENS // (len(prompt) + max_new_tokens)))

    def _admit(self, batch: Batch | None, logits: np.ndarray | None, rows: list[int], encoded: list[list[int]],
               openings: Openings, outputs: list[Generation], max_new_tokens: int) -> tuple[Batch, np.ndarray]:
        """Read these rows' prompts (and openings) and add them to the running batch; returns it and its next-token
        logits."""
        new, new_logits = self._read_prompts([encoded[i] for i in rows], max_new_tokens)
        new.rows = rows
        new, new_logits = self._opened(new, new_logits, openings, outputs)
        if batch is None or not batch.rows:
            return new, new_logits
        return joined_batches(batch, new), np.concatenate([logits, new_logits])

    def _opened(self, batch: Batch, logits: np.ndarray, openings: Openings,
                outputs: list[Generation]) -> tuple[Batch, np.ndarray]:
        """Read the openings of the rows that have one, all in one call, and keep each prompt's likeliest: their
        openings become the answers' first tokens, the others leave the batch."""
        opening = [p for p, row in enumerate(batch.rows) if openings.tokens[row]]
        if not opening:
            return batch, logits
        plain = [p for p in range(len(batch.rows)) if not openings.tokens[batch.rows[p]]]
        chunks = [openings.tokens[batch.rows[p]] for p in opening]
        read = with_rows(batch, opening)
        every = self._feed_every(read, chunks)
        openings.scores[read.rows] = _log_likelihoods(logits[opening], every, chunks)
        kept = openings.choose(read.rows)
        for i in kept:
            outputs[read.rows[i]].tokens.extend(chunks[i])
        last = every[kept, [len(chunks[i]) - 1 for i in kept]]
        read = with_rows(read, kept) if kept else Batch(read.cache.rows([]), read.mask[:0], read.positions[:0], [])
        if not plain:
            return read, last
        rest = with_rows(batch, plain)
        return (joined_batches(rest, read), np.concatenate([logits[plain], last])) if kept else (rest, logits[plain])

    def _read_prompts(self, prompts: list[list[int]], new_tokens: int) -> tuple[Batch, np.ndarray]:
        """A batch of these prompts read, their shared start once, and the logits after each.

        A sliding window is counted in cache slots, and the padding between the shared start and a row's own tokens
        fills slots: a row reading past the window (prompt and answer) would then see fewer of its own tokens than
        alone. Such a group reads each prompt whole, padded on the left only, where its slots are its positions."""
        passes_window = self.sliding and max(len(ids) for ids in prompts) + new_tokens > self.sliding
        shared = 0 if passes_window else _common_prefix(prompts)
        prefix, _ = self._prefix(tuple(prompts[0][:shared]))
        return self._prefill(prefix, shared, [ids[shared:] for ids in prompts])

    def _prefill(self, prefix: KVCache, shared: int, suffixes: list[list[int]]) -> tuple[Batch, np.ndarray]:
        """Read the rows' own tokens after the shared prefix. Identical rows (a text repeated in the file, or the
        alternatives of one prompt) are read once and their cache copied."""
        distinct = list(dict.fromkeys(tuple(s) for s in suffixes))
        batch, logits = self._prefill_distinct(prefix, shared, [list(d) for d in distinct])
        if len(distinct) == len(suffixes):
            return batch, logits
        where = {suffix: i for i, suffix in enumerate(distinct)}
        copies = [where[tuple(s)] for s in suffixes]
        batch = Batch(batch.cache.rows(copies), batch.mask[copies], batch.positions[copies], list(range(len(copies))))
        return batch, logits[copies]

    def _prefill_distinct(self, prefix: KVCache, shared: int,
                          suffixes: list[list[int]]) -> tuple[Batch, np.ndarray]:
        """Run each row's own tokens after the shared prefix, left-padded to a common length."""
        width = max(len(s) for s in suffixes)
        ids = np.full((len(suffixes), width), self.pad_id, dtype=np.int64)
        own = np.zeros((len(suffixes), width), dtype=np.int64)
        positions = np.full((len(suffixes), width), shared, dtype=np.int64)
        for row, suffix in enumerate(suffixes):
            ids[row, width - len(suffix):] = suffix
            own[row, width - len(suffix):] = 1
            positions[row, width - len(suffix):] = shared + np.arange(len(suffix))
        rows = len(suffixes)
        batch = Batch(prefix.repeated(rows), np.ones((rows, shared), dtype=np.int64),
                      positions[:, -1] + 1, list(range(rows)))
        return batch, self._read(batch, ids, own, positions)

    def _read(self, batch: Batch, ids: np.ndarray, own: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Append tokens (padding marked 0 in `own`) to the batch's cache in bounded chunks; the last logits."""
        chunk = max(1, PREFILL_TOKENS // len(ids))
        for start in range(0, ids.shape[1], chunk):
            batch.mask = np.concatenate([batch.mask, own[:, start : start + chunk]], axis=1)
            piece = ids[:, start : start + chunk]  # only its last position's logits are read
            logits, batch.cache = self._run(piece, batch.mask, positions[:, start : start + chunk], batch.cache,
                                           logits_from=piece.shape[1] - 1)
        return logits[:, -1]

    def _step(self, batch: Batch, next_ids: np.ndarray) -> np.ndarray:
        """Feed one new token per row; returns the logits for the token after it."""
        batch.mask = np.concatenate([batch.mask, np.ones((len(batch.rows), 1), dtype=np.int64)], axis=1)
        logits, batch.cache = self._run(next_ids[:, None].astype(np.int64), batch.mask, batch.positions[:, None], batch.cache)
        batch.positions = batch.positions + 1
        return logits[:, -1]

    def _feed(self, batch: Batch, chunks: list[list[int]]) -> np.ndarray:
        """Append a chunk of tokens to each row (right-padded, padding masked); logits after each chunk."""
        every = self._feed_every(batch, chunks)
        return every[np.arange(len(chunks)), np.array([len(c) for c in chunks]) - 1]

    def _feed_every(self, batch: Batch, chunks: list[list[int]]) -> np.ndarray:
        """Append a chunk of tokens to each row (right-padded, padding masked); logits after every token."""
        if self.sliding and len({len(chunk) for chunk in chunks}) > 1:
            return self._feed_every_by_length(batch, chunks)
        width = max(len(c) for c in chunks)
        ids = np.full((len(chunks), width), self.pad_id, dtype=np.int64)
        own = np.zeros((len(chunks), width), dtype=np.int64)
        for row, chunk in enumerate(chunks):
            ids[row, : len(chunk)], own[row, : len(chunk)] = chunk, 1
        positions = batch.positions[:, None] + np.arange(width)[None]
        batch.mask = np.concatenate([batch.mask, own], axis=1)
        logits, batch.cache = self._run(ids, batch.mask, positions, batch.cache)
        batch.positions = batch.positions + np.array([len(c) for c in chunks])
        return logits

    def _feed_every_by_length(self, batch: Batch, chunks: list[list[int]]) -> np.ndarray:
        """As _feed_every, for a model with a sliding window: the padding after a shorter chunk would sit inside its row,
        in slots the window counts, so rows are fed in groups of one chunk length and joined again, padded on the left
        (before every row's tokens) only. `batch` is left holding the joined rows, in their order."""
        groups: dict[int, list[int]] = {}
        for position, chunk in enumerate(chunks):
            groups.setdefault(len(chunk), []).append(position)
        every, parts = None, []
        for length, positions in groups.items():
            part = Batch(batch.cache.rows(positions), batch.mask[positions], batch.positions[positions], positions)
            logits = self._feed_every(part, [chunks[p] for p in positions])
            if every is None:
                every = np.zeros((len(chunks), max(groups), logits.shape[-1]), dtype=logits.dtype)
            every[positions, :length] = logits
            parts.append(part)
        whole = parts[0]
        for part in parts[1:]:
            whole = joined_batches(whole, part)
        order = list(np.argsort(whole.rows))  # the joined rows are batch positions: back to the batch's order
        batch.cache, batch.mask, batch.positions = whole.cache.rows(order), whole.mask[order], whole.positions[order]
        return every

    def _record(self, batch: Batch, next_ids: np.ndarray, outputs: list[Generation], stop: Stops,
                max_new_tokens: int, openings: Openings) -> list[int]:
        """Append each row's new token; returns the batch positions of rows still writing. A stop string counts
        only after a row's opening ("Mr. Fox asks" does not end at "Mr. ")."""
        active = []
        for position, row in enumerate(batch.rows):
            token = int(next_ids[position])
            if token in self.eos_ids:
                continue
            output, opening = outputs[row], openings.tokens[row]
            output.tokens.append(token)
            if stop and len(output.tokens) > len(opening) and ends_at_stop(
                    output, self.decode(output.tokens), stop, len(self.decode(opening)) if opening else 0):
                continue
            if len(output.tokens) < max_new_tokens:
                active.append(position)
            else:
                output.cut_short = True
        return active

    def _option_log_likelihoods(self, batch: Batch, first: np.ndarray, options: list[list[int]]) -> np.ndarray:
        """Sum of token log-probabilities of each row's option after its prompt (`batch`, left as it is; `first`: the
        log-probabilities of the token after each prompt)."""
        copy = Batch(batch.cache, batch.mask, batch.positions, list(batch.rows))
        return _log_likelihoods(first, self._feed_every(copy, options), options)

    def _run(self, ids: np.ndarray, mask: np.ndarray, positions: np.ndarray, cache: KVCache,
             logits_from: int = 0) -> tuple[np.ndarray, KVCache]:
        """Logits of positions logits_from onwards (all of them if the model cannot skip), and the new cache."""
        interrupt.check()  # a job paused or cancelled mid-batch stops here (models/interrupt.py)
        feeds = {"input_ids": ids, "attention_mask": mask, "position_ids": positions}
        if self.slices_logits:
            feeds[LOGITS_FROM] = np.array([logits_from], dtype=np.int64)
        feeds.update(cache.feeds(self.past_names))
        logits, *present = self.session.run(None, feeds)
        return logits, cache.after(present)

    def _empty_cache(self, rows: int) -> KVCache:
        return KVCache.empty(self.past_names, rows, self.kv_heads, self.head_dim, self.splits_cache)

    def _prefix(self, ids: tuple[int, ...]) -> tuple[KVCache, np.ndarray]:
        """Keys/values of a prefix shared by a batch, and the logits after its last token (cached)."""
        if not ids:
            return self._empty_cache(1), np.zeros(0, dtype=np.float32)
        if ids not in self._prefix_cache:
            array = np.array([ids], dtype=np.int64)
            batch = Batch(self._empty_cache(1), np.zeros((1, 0), dtype=np.int64), np.array([len(ids)]), [0])
            logits = self._read(batch, array, np.ones_like(array), np.arange(len(ids))[None])
            if len(self._prefix_cache) >= PREFIX_CACHE_SIZE:
                self._prefix_cache.pop(next(iter(self._prefix_cache)))
            self._prefix_cache[ids] = (batch.cache, logits[0])
        return self._prefix_cache[ids]


def _session(path: Path) -> ort.InferenceSession:
    # Without onnxruntime's memory arena (session_options), peak memory at batch 16 fell from ~1.46 to ~1.22 GB.
    return ort.InferenceSession(str(path), session_options(), providers=["CPUExecutionProvider"])


def _log_likelihoods(first: np.ndarray, every: np.ndarray, chunks: list[list[int]]) -> np.ndarray:
    """Each chunk's summed token log-probabilities: its first token read off `first` (the logits after the prompt),
    each next one off `every` (the logits after each of the chunk's own tokens)."""
    return np.array([_log_softmax(np.concatenate([first[i][None], every[i, : len(chunk) - 1]]))[
        np.arange(len(chunk)), chunk].sum() for i, chunk in enumerate(chunks)])


def _common_prefix(rows: list[list[int]]) -> int:
    """Tokens every row starts with, leaving each row at least one token of its own; none when the rows are all one
    prompt (copies, or a single row), whose cache would only crowd the shared prefixes out of the prefix cache."""
    if len({tuple(r) for r in rows}) < 2:
        return 0
    shortest = min(len(r) for r in rows)
    length = 0
    while length < shortest - 1 and all(r[length] == rows[0][length] for r in rows):
        length += 1
    return length


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _json_or_empty(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def _end_tokens(config: dict) -> set[int]:
    """`eos_token_id`, one id or a list: Phi-3 and Gemma list their end-of-turn token only in
    generation_config.json, and without it a reply ran on past its turn."""
    eos = config.get("eos_token_id")
    return set(eos if isinstance(eos, list) else [eos]) - {None}
