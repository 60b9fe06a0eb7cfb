"""The `Forge` facade assembled from its parts (see forge.service)."""

from __future__ import annotations

from forge.scrub import scrub_text as scrub_text  # re-exported: text Forge writes for people, secrets replaced
from forge.service.access import AccessAPI
from forge.service.data import DataAPI
from forge.service.jobs import JobsAPI
from forge.service.models import ModelsAPI
from forge.service.registry import RegistryAPI
from forge.service.serving import ServingAPI
from forge.settings import Settings, load_settings


class Forge(JobsAPI, DataAPI, ModelsAPI, RegistryAPI, AccessAPI, ServingAPI):
    """An open Forge home: the database (jobs, events, registry) and the artifact store."""

    def __init__(self, settings: Settings | None = None):
        from forge.artifacts import ArtifactStore
        from forge.jobs.store import JobStore
        from forge.registry.models import Registry
        from forge.storage import connect

        self.settings = (settings or load_settings()).ensure()
        self.engine = connect(self.settings.database_url)
        self.store = ArtifactStore(self.settings.artifacts)
        self.jobs = JobStore(self.engine)
        self.registry = Registry(self.engine)
