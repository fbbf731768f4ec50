"""A generated project published to a local stand-in for GitHub, and the events it raises.

`origin` is a bare repository playing GitHub's copy: branches, tags and the pull-request
merge refs (`refs/pull/<n>/merge`, made the way GitHub makes them: the head branch merged
into the base). `clone` is the developer's working copy, where commits are made. Each event
method pushes what the event is about and returns the Event as GitHub would deliver it
(tests/github_events.py); the workflow harness then checks out `origin` afresh per job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import github_events as events
from .conftest import bake, run

ZERO = "0" * 40


@dataclass
class GitHubRepo:
    clone: Path
    origin: Path
    repository: events.Repository

    @classmethod
    def publish(cls, where: Path, repository: events.Repository, **answers: str) -> GitHubRepo:
        """Generate a project, commit it and push main to a new origin."""
        clone = bake(where, offline=False, **answers)
        run("git add -A && git commit --quiet -m 'Initial commit from template'", clone)
        origin = where / "origin.git"
        run(f"git init --quiet --bare {origin} && git remote add origin {origin}", clone)
        run("git push --quiet -u origin main", clone)
        return cls(clone, origin, repository)

    def sha(self, rev: str = "HEAD") -> str:
        return run(f"git rev-parse {rev}", self.clone).stdout.strip()

    def commit(self, message: str) -> str:
        run(f"git add -A && git commit --quiet -m '{message}'", self.clone)
        return self.sha()

    def pull_request(
        self,
        branch: str,
        *,
        number: int,
        base: str = "main",
        labels: tuple[str, ...] = (),
        body: str = "",
        head_repository: str | None = None,
        author: str = "octocat",
    ) -> events.Event:
        """Push `branch` and the test merge commit GitHub makes for a pull request from it.

        `head_repository`: from that fork; `author`: who opened it, `dependabot[bot]`...
        """
        run(f"git push --quiet --force origin {branch}", self.clone)
        head, base_sha = self.sha(branch), self.sha(f"origin/{base}")
        run(f"git checkout --quiet --detach origin/{base}", self.clone)
        run(
            f"git merge --quiet --no-ff --no-edit -m 'Merge {head} into {base_sha}' {head}",
            self.clone,
        )
        merge = self.sha()
        run(f"git push --quiet --force origin HEAD:refs/pull/{number}/merge", self.clone)
        run(f"git checkout --quiet {branch}", self.clone)
        return events.pull_request(
            self.repository,
            number=number,
            head_sha=head,
            base_sha=base_sha,
            merge_sha=merge,
            head_ref=branch,
            base_ref=base,
            labels=labels,
            body=body,
            head_repository=head_repository,
            author=author,
        )

    def merge_queue(
        self, branch: str, *, number: int, base: str = "main", behind: str | None = None
    ) -> events.Event:
        """A merge queue's group for `branch`.

        The merge commit on its temporary gh-readonly-queue branch, which GitHub pushes before
        running the required checks. `behind`: the group queued before this one (a commit of the
        clone, ahead of `base`), which becomes this group's base, as GitHub stacks queued groups.
        """
        base_sha = self.sha(behind or f"origin/{base}")
        if behind:
            main = self.sha(f"origin/{base}")
            ahead = f"refs/heads/gh-readonly-queue/{base}/pr-{number - 1}-{main}"
            run(f"git push --quiet --force origin {base_sha}:{ahead}", self.clone)
        run(f"git checkout --quiet --detach {base_sha}", self.clone)
        run(f"git merge --quiet --no-ff --no-edit {branch}", self.clone)
        head = self.sha()
        event = events.merge_group(
            self.repository, number=number, head_sha=head, base_sha=base_sha, base_branch=base
        )
        run(f"git push --quiet --force origin HEAD:{event.ref}", self.clone)
        run(f"git checkout --quiet {branch}", self.clone)
        return event

    def merge(self, branch: str, into: str = "main") -> events.Event:
        """Merge `branch` into `into` on origin (a merged pull request): the push event."""
        before = self.sha(f"origin/{into}")
        run(
            f"git checkout --quiet {into} && git merge --quiet --no-ff --no-edit {branch}",
            self.clone,
        )
        run(f"git push --quiet origin {into}", self.clone)
        return events.push(
            self.repository, ref=f"refs/heads/{into}", before=before, after=self.sha()
        )

    def push(self, branch: str = "main") -> events.Event:
        before = run(f"git rev-parse --verify --quiet origin/{branch} || echo {ZERO}", self.clone)
        run(f"git push --quiet origin {branch}", self.clone)
        return events.push(
            self.repository,
            ref=f"refs/heads/{branch}",
            before=before.stdout.strip(),
            after=self.sha(branch),
        )

    def tag(self, name: str, rev: str = "HEAD") -> events.Event:
        run(f"git tag {name} {rev} && git push --quiet origin {name}", self.clone)
        return events.tag_push(self.repository, tag=name, sha=self.sha(f"{name}^{{commit}}"))

    def schedule(self, cron: str) -> events.Event:
        default = self.repository.default_branch
        return events.schedule(self.repository, sha=self.sha(f"origin/{default}"), cron=cron)

    def workflow(self, name: str) -> Path:
        return self.clone / ".github" / "workflows" / name
