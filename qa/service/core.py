"""The service kept on the Flask app: the embedder and the loaded index, both lazy.

One ``QAService`` per app, stored in ``app.extensions["qa"]`` (never a module global),
with the app's ``Settings`` (``qa.settings``): ``service.settings`` is where the web edge
and the CLI read them.
The model loads on first use; the index loads on first use too, and is rebuilt then if
it is missing or stale (under ``qa serve``, whose parent did that check before forking,
a worker serves the published build as it is). When another process publishes a new
build (``qa index``), the next request sees the changed ``index/current`` link and loads
the new build.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qa.check import check_claim
from qa.corroboration.stories import Stories
from qa.corroboration.view import story_view
from qa.embedding.embedder import Embedder, ModelUnavailable, make_embedder
from qa.index.build import BuildContext, build_index, ensure_index
from qa.index.embed import Encoder
from qa.index.layout import IndexProblem
from qa.index.load import LoadedIndex, load_index
from qa.index.publish import current_build_id
from qa.models import Answer, Article, ClaimCheck, SearchFilter, StoryView
from qa.search import ask
from qa.service.errors import ErrorCode
from qa.settings import Settings, model_cache, resolve_path

log = logging.getLogger(__name__)


class SourceNotFound(LookupError):
    """No article of that name is in the index."""


class StoryNotFound(LookupError):
    """No story of that id is in the index."""


# What the service raises that a surface answers as a refusal rather than a failure.
SERVICE_ERRORS = (SourceNotFound, StoryNotFound, IndexProblem, ModelUnavailable)


def service_failure(error: Exception) -> tuple[int, ErrorCode, str]:
    """The HTTP status, code and message every surface (the API, the MCP server) gives an
    error of ``SERVICE_ERRORS``: an unknown name is a 404 (names are looked up among the
    indexed articles, a miss never touches the disk); no index or no model, a 503 that
    says so and never guesses."""
    if isinstance(error, SourceNotFound):
        return 404, ErrorCode.UNKNOWN_SOURCE, f"no article named {error.args[0]!r}"
    if isinstance(error, StoryNotFound):
        return 404, ErrorCode.UNKNOWN_STORY, f"no story with id {error.args[0]!r} (GET /api/stories lists them)"
    code = ErrorCode.MODEL_UNAVAILABLE if isinstance(error, ModelUnavailable) else ErrorCode.INDEX_UNAVAILABLE
    return 503, code, f"the service cannot answer now: {error}"


class QAService:
    """Answers questions over the articles in the configured seeds folder."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self.seeds_dir: Path = resolve_path(settings.corpus.seeds_dir)
        self.index_dir: Path = resolve_path(settings.corpus.index_dir)
        self._embedder = embedder
        self._index: LoadedIndex | None = None
        self._lock = threading.Lock()
        self._model_lock = threading.Lock()

    def with_settings(self, settings: Settings) -> QAService:
        """A service on other settings that shares this one's model, if it is loaded or was given."""
        return QAService(settings, embedder=self._embedder)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._model_lock:
                if self._embedder is None:
                    model = self.settings.model
                    self._embedder = make_embedder(
                        model.name,
                        query_prefix=model.query_prefix,
                        passage_prefix=model.passage_prefix,
                        device=model.device,
                        cache_size=model.query_cache_size,
                        threads=model.torch_threads,
                        query_engine=model.query_engine,
                        cache=model_cache(model),
                    )
        return self._embedder

    @property
    def index(self) -> LoadedIndex:
        """The current build, loaded (and rebuilt if missing or stale) on first use."""
        loaded = self._index
        if loaded is not None and current_build_id(self.index_dir) in (loaded.build_id, None):
            return loaded
        with self._lock:
            if self._index is None or current_build_id(self.index_dir) not in (self._index.build_id, None):
                verified_build = self.settings.corpus.verified_build
                # Under ``qa serve`` (which puts VERIFIED_BUILD in its workers' config) the parent
                # checked the index against the articles before forking: a worker, also one
                # gunicorn starts later, serves what is published. Articles edited since wait for ``qa index``;
                # they never make a restarted worker fail to boot (which stops the whole server)
                # or rebuild inside a worker.
                self._index = ensure_index(
                    self.build_context(),
                    rebuild=self.settings.corpus.auto_build and not verified_build,
                    verified_build=verified_build,
                    check_articles=not verified_build,
                )
                log.info("serving index build %s (%d passages)", self._index.build_id, len(self._index.passages))
            return self._index

    def build_context(self, progress: bool = False, full: bool = False) -> BuildContext:
        """What a build of this service's seeds into its index folder needs."""
        return BuildContext(
            seeds_dir=self.seeds_dir,
            index_dir=self.index_dir,
            embedder=self.embedder,
            options=self.settings.build,
            progress=progress,
            full=full,
        )

    def warm_up(self) -> None:
        """Load the index and the model now rather than on the first question."""
        self.index
        self.embedder.embed_query("warm-up")

    def rebuild(self, progress: bool = False, full: bool = False, encoder: Encoder | None = None) -> LoadedIndex:
        """Build a new index from the seeds now (incrementally unless ``full``) and serve it.

        ``encoder`` embeds the new texts elsewhere, e.g. on Ray (``qa index --ray``).
        """
        context = self.build_context(progress=progress, full=full)
        if encoder is not None:
            context.encoder = encoder
        build = build_index(context)
        # Just written and checksummed by this process: its files need not be hashed again.
        index = load_index(self.index_dir, verified_build=build.name)
        with self._lock:
            self._index = index
        return index

    def ask(self, question: str, k: int, history: Sequence[str] = (), search_filter: SearchFilter = SearchFilter()) -> Answer:
        index = self.index
        return ask(index, self.embedder, question, k=k, history=history, settings=self.settings.ranking, search_filter=search_filter)

    def check(self, claim: str, k: int, search_filter: SearchFilter = SearchFilter()) -> ClaimCheck:
        """Which articles state the claim, state it otherwise, hedge or contradict it (``qa.check``)."""
        index = self.index
        return check_claim(index, self.embedder, claim, k=k, settings=self.settings.ranking, search_filter=search_filter)

    def stories(self) -> Stories:
        """The multi-article stories of the current index (``qa.corroboration.stories``)."""
        return self.index.stories

    def story(self, story_id: str) -> StoryView:
        """One story's articles by date, the facts they share and their differences (``qa.corroboration.view``)."""
        index = self.index
        story = index.stories.get(story_id)
        if story is None:
            raise StoryNotFound(story_id)
        return story_view(story, index.alignment, index.passages, index.articles)

    def article(self, source: str) -> Article:
        """An indexed article by source name; names are looked up, never joined to a path."""
        article = self.index.articles.get(source)
        if article is None:
            raise SourceNotFound(source)
        return article

    def health(self) -> dict[str, Any]:
        index = self.index
        manifest = index.manifest
        return {
            "status": "ok",
            "passages": len(index.passages),
            "articles": len(index.articles),
            "model": manifest["model"]["name"],
            "dimension": manifest["model"]["dimension"],
            "index": {
                "build": index.build_id,
                "built_at": manifest["built_at"],
                "store": manifest["store"]["kind"],
            },
            "version": manifest["package_version"],
            "skipped": {"count": len(index.skipped), "files": index.skipped},
        }
