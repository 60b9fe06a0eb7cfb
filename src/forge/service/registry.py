"""The model registry and the Hub: versions, lineage, task adapters, deploy and rollback,
pruning, provider entries, drift, and publishing (only after TESTS_PASSED — the rule lives here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forge.errors import ForgeError, NotFound
from forge.service.base import ForgeHome


class RegistryAPI(ForgeHome):
    # -- versions ---------------------------------------------------------------------------
    def list_models(self) -> list[Any]:
        """Registered model versions (NAME-vN, role, base, eval, status), oldest first."""
        return self.registry.list()

    def model(self, ref: str) -> Any:
        """NAME-vN for one version, NAME for the latest."""
        return self.registry.get(ref)

    def lineage(self, ref: str) -> dict[str, Any]:
        """A version with its lineage: dataset, corpus size, DPO pairs, hyperparameters,
        adapters, eval per category, deployments, and the artifact ids behind them."""
        from forge.registry.api import lineage

        return lineage(self, ref)

    # -- task adapters ----------------------------------------------------------------------
    def list_adapters(self) -> list[Any]:
        from forge.registry.api import adapters

        return adapters(self).list()

    def register_adapter(self, name: str, *, task: str, artifact_id: str, compatible_with: list[str]) -> Any:
        from forge.registry.api import adapters

        return adapters(self).register(name, task=task, artifact_id=artifact_id, compatible_with=compatible_with)

    # -- deployments ------------------------------------------------------------------------
    def deploy(self, ref: str, target: str, *, actor: str | None = None) -> Any:
        """Point a target (a role or a rig) at a version; roles follow the rollout order, each
        gated on its eval."""
        from forge.registry.api import deployments
        from forge.service.jobs import default_actor

        return deployments(self).deploy(ref, target, actor=actor or default_actor())

    def rollback(self, target: str, *, actor: str | None = None) -> Any:
        """Point a target back at the version it ran before."""
        from forge.registry.api import deployments
        from forge.service.jobs import default_actor

        return deployments(self).rollback(target, actor=actor or default_actor())

    def promote(self, ref: str, *, actor: str | None = None) -> list[Any]:
        """Progressive rollout, one stage on: deploy the version to every role of the first
        rollout stage (deacon/boot → witness → polecat → crew → mayor) where it does not run
        yet, each gated on its eval like any deploy. Returns the new deployments."""
        from forge.registry.api import deployments
        from forge.service.jobs import default_actor

        deps = deployments(self)
        model = self.registry.get(ref)
        running = {t: d.model for t, d in deps.current().items()}
        for stage in deps.rollout.order:
            todo = [role for role in stage if running.get(role) != model.display_name]
            if todo:
                return [deps.deploy(model.display_name, role, actor=actor or default_actor()) for role in todo]
        raise ForgeError(
            f"{model.display_name} already runs on every role of the rollout",
            hint="`forge model history` shows where it runs",
        )

    def current_deployments(self) -> dict[str, dict[str, Any]]:
        """Target → what runs there now (its newest deploy or rollback)."""
        from forge.registry.api import deployments

        return {t: d.to_dict() for t, d in sorted(deployments(self).current().items())}

    def lineage_chain(self, ref: str) -> list[dict[str, Any]]:
        """The version's lineage as a chain of steps, each with its artifact id and what it holds:
        sessions → corpus → dataset → base + adapter → merged model → exports → eval → deployments."""
        from forge.registry.lineage_chain import lineage_chain

        return lineage_chain(self, ref)

    def deployment_history(self, target: str | None = None) -> list[Any]:
        from forge.registry.api import deployments

        return deployments(self).history(target)

    def prune(self, keep: int, *, dry_run: bool = False, artifacts: bool = True) -> dict[str, Any]:
        """Remove old versions (never a deployed one) and the weights only they used."""
        from forge.registry.prune import prune

        return prune(self, keep, dry_run=dry_run, artifacts=artifacts)

    def provider_config(self, target: str, engine: str | None = None, port: int = 8000) -> dict[str, Any]:
        """The Gas Town town-settings agent entry for the model deployed to `target`."""
        from forge.registry.api import provider_config

        return provider_config(self, target, engine, port)

    # -- drift ------------------------------------------------------------------------------
    def drift(
        self,
        ref: str,
        *,
        threshold: float | None = None,
        retrain: bool = False,
        authorization: str | None = None,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """How far today's convention files have drifted from those in the model's corpus;
        with `retrain`, a stale model gets a retrain job (its original config, next version)."""
        from forge.drift import DEFAULT_THRESHOLD, drift

        report = drift(self, ref, threshold=DEFAULT_THRESHOLD if threshold is None else threshold)
        if retrain and report["stale"]:
            report["retrain_job"] = self.retrain(ref, actor=actor, authorization=authorization).id
        return report

    def retrain(self, ref: str, *, actor: str | None = None, authorization: str | None = None) -> Any:
        """Queue a pipeline job with the model's original config (same name: the next version)."""
        model = self.registry.get(ref)
        if not model.job_id:
            raise ForgeError(f"{model.display_name} has no job whose config could be reused")
        config = dict(self.jobs.get(model.job_id).config)
        if authorization:
            config["authorization"] = authorization
        return self.submit("pipeline", config, actor=actor)  # type: ignore[attr-defined]

    # -- the Hub ----------------------------------------------------------------------------
    def publish(
        self,
        ref: str,
        repo: str,
        *,
        private: bool,
        actor: str | None = None,
        card_text: str | None = None,
        endpoint: str | None = None,
    ) -> dict[str, Any]:
        """Publish a version to the Hugging Face Hub. Refused unless its job reached
        TESTS_PASSED; the job then moves to PUBLISHED and the version records where it went.
        The bytes are the merged model exactly as evaluated (re-hashed first); the model card is
        built from lineage and eval and scrubbed."""
        from forge.governance import publishable_job
        from forge.hub import check_repo, upload
        from forge.jobs.state_machine import JobState
        from forge.registry.card import model_card
        from forge.service.jobs import default_actor

        check_repo(repo)
        model = self.registry.get(ref)
        job = publishable_job(self.jobs, model)
        merged_id = model.lineage.get("merged_model")
        if not merged_id:
            raise NotFound(f"{model.display_name} has no merged model in its lineage")
        merged = self.store.get(merged_id)
        merged.verify()  # never upload bytes that differ from what was evaluated
        card = model_card(self, model, repo, extra=card_text)
        done = upload(
            merged.path,
            card,
            repo,
            label=model.display_name,
            private=private,
            commit_message=f"Forge {model.display_name} (job {job.id})",
            work_dir=self.settings.home / ".hub-staging",
            endpoint=endpoint,
        )
        if job.state is JobState.TESTS_PASSED:
            self.jobs.transition(
                job.id,
                JobState.PUBLISHED,
                actor=actor or default_actor(),
                reason=f"published {model.display_name} to {repo}@{done['revision']}",
            )
        published = {k: done[k] for k in ("repo", "revision", "private", "url")}
        self.registry.update_details(
            model.name, model.version, {"published": [*model.details.get("published", []), published]}
        )
        return {"model": model.display_name, "job_id": job.id, "files": done["files"], **published}

    def publish_job(self, job_id: str, repo: str, **options: Any) -> dict[str, Any]:
        """Publish the model version a job registered (the same rule: TESTS_PASSED first)."""
        from forge.governance import require_tests_passed

        job = require_tests_passed(self.jobs.get(job_id))
        return self.publish((job.result or {}).get("model") or "", repo, **options)

    def pull(
        self, repo: str, *, revision: str | None = None, dest: Path | None = None, endpoint: str | None = None
    ) -> dict[str, Any]:
        """Download a published model and verify every file's SHA-256 against its manifest."""
        from forge.hub import pull

        return pull(
            repo, Path(dest) if dest else self.settings.home / "hub" / repo, revision=revision, endpoint=endpoint
        )
