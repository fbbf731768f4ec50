"""Events as GitHub delivers them to a workflow run: the `github` context and its payload.

Each builder follows GitHub's documentation for its trigger ("Events that trigger
workflows": which commit `GITHUB_SHA` and which ref `GITHUB_REF` name) and the webhook
payload's documented shape ("Webhook events and payloads"), keeping the fields our
workflows or their actions read and leaving out the rest. Two differences matter:

- `schedule` has no webhook payload: `github.event` holds only the cron line, so there is
  no `github.event.repository` (its default branch included). GITHUB_REF is the default
  branch and GITHUB_SHA its last commit.
- `github.base_ref` and `github.head_ref` are set only for pull requests; a merge queue's
  target branch is `github.event.merge_group.base_ref` (a full ref).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SERVER = "https://github.com"
# What `github.token` and `secrets.GITHUB_TOKEN` hold: the workflow's own token.
DEFAULT_TOKEN = "ghs_the-workflow-token"


@dataclass(frozen=True)
class Repository:
    """The repository the workflows run in."""

    full_name: str = "Your-GitHub-User/customer-churn"
    default_branch: str = "main"
    private: bool = False

    @property
    def owner(self) -> str:
        return self.full_name.split("/")[0]

    def payload(self) -> dict[str, Any]:
        """The webhook `repository` object (the fields workflows commonly read)."""
        owner, name = self.full_name.split("/")
        return {
            "id": 1296269,
            "name": name,
            "full_name": self.full_name,
            "private": self.private,
            "visibility": "private" if self.private else "public",
            "owner": {"login": owner, "type": "User"},
            "html_url": f"{SERVER}/{self.full_name}",
            "clone_url": f"{SERVER}/{self.full_name}.git",
            "fork": False,
            "default_branch": self.default_branch,
            "archived": False,
        }


@dataclass
class Event:
    """What a workflow run sees: the event's name, ref, commit and payload."""

    name: str
    ref: str
    sha: str
    payload: dict[str, Any]
    repository: Repository
    actor: str = "octocat"
    base_ref: str = ""
    head_ref: str = ""
    workflow: str = ""
    run_id: str = "1658821493"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ref_name(self) -> str:
        for prefix in ("refs/heads/", "refs/tags/"):
            if self.ref.startswith(prefix):
                return self.ref.removeprefix(prefix)
        return self.ref.removeprefix("refs/")  # refs/pull/1/merge -> pull/1/merge

    @property
    def ref_type(self) -> str:
        return "tag" if self.ref.startswith("refs/tags/") else "branch"

    def github(self) -> dict[str, Any]:
        """The `github` context of a run of `workflow` for this event."""
        return {
            "event_name": self.name,
            "event": self.payload,
            "ref": self.ref,
            "ref_name": self.ref_name,
            "ref_type": self.ref_type,
            "sha": self.sha,
            "base_ref": self.base_ref,
            "head_ref": self.head_ref,
            "repository": self.repository.full_name,
            "repository_owner": self.repository.owner,
            "actor": self.actor,
            "triggering_actor": self.actor,
            "workflow": self.workflow,
            "run_id": self.run_id,
            "run_number": "7",
            "run_attempt": "1",
            "server_url": SERVER,
            "api_url": "https://api.github.com",
            "token": DEFAULT_TOKEN,
            **self.extra,
        }

    def variables(self) -> dict[str, str]:
        """The default environment variables a runner sets from the same context."""
        context = self.github()
        names = (
            "event_name", "ref", "ref_name", "ref_type", "sha", "base_ref", "head_ref",
            "repository", "repository_owner", "actor", "triggering_actor", "workflow",
            "run_id", "run_number", "run_attempt", "server_url", "api_url",
        )  # fmt: skip
        return {f"GITHUB_{name.upper()}": str(context[name]) for name in names}

    def for_workflow(self, name: str) -> Event:
        """The same event as seen by the workflow called `name` (github.workflow)."""
        return Event(
            self.name, self.ref, self.sha, self.payload, self.repository, self.actor,
            self.base_ref, self.head_ref, name, self.run_id, self.extra,
        )  # fmt: skip


def user(login: str) -> dict[str, Any]:
    return {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"}


def pull_request(
    repository: Repository,
    *,
    number: int,
    head_sha: str,
    base_sha: str,
    merge_sha: str,
    head_ref: str = "feature",
    base_ref: str = "main",
    labels: tuple[str, ...] = (),
    body: str = "",
    author: str = "octocat",
    head_repository: str | None = None,
    action: str = "synchronize",
) -> Event:
    """`pull_request`: GITHUB_SHA is the test merge commit on refs/pull/N/merge.

    `head_repository` names a fork; by default the head branch is in the same repository.
    """
    head_repo = repository.payload()
    if head_repository is not None:
        head_repo = {**head_repo, "full_name": head_repository, "fork": True}
    payload = {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number,
            "state": "open",
            "title": f"Change {number}",
            "body": body or None,
            "user": user(author),
            "labels": [{"name": label} for label in labels],
            "draft": False,
            "head": {"ref": head_ref, "sha": head_sha, "repo": head_repo, "user": user(author)},
            "base": {"ref": base_ref, "sha": base_sha, "repo": repository.payload()},
            "html_url": f"{SERVER}/{repository.full_name}/pull/{number}",
        },
        "repository": repository.payload(),
        "sender": user(author),
    }
    return Event(
        "pull_request",
        f"refs/pull/{number}/merge",
        merge_sha,
        payload,
        repository,
        actor=author,
        base_ref=base_ref,
        head_ref=head_ref,
    )


def push(
    repository: Repository,
    *,
    ref: str,
    before: str,
    after: str,
    pusher: str = "octocat",
) -> Event:
    """`push` of a branch or a tag.

    GITHUB_SHA is the pushed commit (for a tag, the commit the tag points to), GITHUB_REF the
    updated ref. `github.base_ref` is empty.
    """
    payload = {
        "ref": ref,
        "before": before,
        "after": after,
        "created": set(before) == {"0"},
        "deleted": False,
        "forced": False,
        "base_ref": None,
        "compare": f"{SERVER}/{repository.full_name}/compare/{before[:12]}...{after[:12]}",
        "commits": [],
        "head_commit": {"id": after, "message": "", "author": user(pusher)},
        "pusher": {"name": pusher},
        "repository": repository.payload(),
        "sender": user(pusher),
    }
    return Event("push", ref, after, payload, repository, actor=pusher)


def tag_push(repository: Repository, *, tag: str, sha: str, pusher: str = "octocat") -> Event:
    """A new tag: `created` with a zero `before`."""
    return push(repository, ref=f"refs/tags/{tag}", before="0" * 40, after=sha, pusher=pusher)


def schedule(repository: Repository, *, sha: str, cron: str) -> Event:
    """`schedule`: runs on the default branch's last commit.

    The payload is only the cron line (no `repository`, no `sender`).
    """
    ref = f"refs/heads/{repository.default_branch}"
    return Event("schedule", ref, sha, {"schedule": cron}, repository, actor="octocat")


def merge_group(
    repository: Repository,
    *,
    number: int,
    head_sha: str,
    base_sha: str,
    base_branch: str = "main",
) -> Event:
    """`merge_group` (checks_requested).

    GITHUB_SHA is the merge group's commit on its temporary `gh-readonly-queue/...` branch; the
    target is `merge_group.base_ref`.
    """
    head_ref = f"refs/heads/gh-readonly-queue/{base_branch}/pr-{number}-{base_sha}"
    payload = {
        "action": "checks_requested",
        "merge_group": {
            "head_sha": head_sha,
            "head_ref": head_ref,
            "base_sha": base_sha,
            "base_ref": f"refs/heads/{base_branch}",
            "head_commit": {"id": head_sha, "message": f"Merge pull request #{number}"},
        },
        "repository": repository.payload(),
        "sender": user("github-merge-queue[bot]"),
    }
    return Event(
        "merge_group", head_ref, head_sha, payload, repository, actor="github-merge-queue[bot]"
    )
