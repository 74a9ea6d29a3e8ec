from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlcc.cli.common import EXIT_OK, EXIT_PROBLEMS, UsageError, add_overlays, select_environments


def register(commands) -> None:
    model = commands.add_parser("model", help="release a model version through Git (mlcc model push)")
    verbs = model.add_subparsers(dest="verb", metavar="VERB", required=True)
    push = verbs.add_parser(
        "push",
        help="upload a model file into the model box under a content-addressed name and pin it as modelPath",
        description=(
            "Upload FILE into the model box of the module's MLComponent under <name>-<sha256 prefix><suffix> "
            "and rewrite the component's modelPath to it (the manifest otherwise unchanged). Commit the change: "
            "the pods roll to the new version, and `git revert` rolls them back."
        ),
    )
    push.add_argument("file", type=Path, help="the trained model file")
    push.add_argument("module", type=Path, help="the module folder, e.g. modules/iris")
    push.add_argument("--component", default=None, help="the MLComponent (needed when several have a model)")
    where = push.add_mutually_exclusive_group(required=True)
    where.add_argument("--env", default=None, help="upload into this environment's box")
    where.add_argument("--local", action="store_true",
                       help="copy into the module's local seed (data/<box>/...), which `mlcc run` serves")
    push.add_argument("--bucket", default=None,
                      help="the box's bucket when the environment cannot name it (ObjectBucketClaims: the claim's "
                      "ConfigMap holds BUCKET_NAME)")
    push.add_argument("--endpoint", default=None, help="the S3 endpoint that goes with --bucket")
    add_overlays(push)
    push.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mlcc.build.pipeline import check
    from mlcc.diagnostics.formats.text import format_diagnostics
    from mlcc.render.providers import providers_for
    from mlcc.render.providers.storage.contract import BoxLocation
    from mlcc.tools import release

    if not args.file.is_file():
        raise UsageError(f"'{args.file}' is not a file")
    if not args.module.is_dir():
        raise UsageError(f"'{args.module}' is not a module folder")
    environments = select_environments(args, [args.env] if args.env else None)
    checked = check([args.module], environments)
    if checked.failed or not checked.modules:
        sys.stderr.write(format_diagnostics(checked.diagnostics, len(checked.modules), checked.sources))
        print("mlcc: model push: the module does not check; nothing was uploaded", file=sys.stderr)
        return EXIT_PROBLEMS
    module = checked.modules[0]
    try:
        target = release.target_of(module, args.component)
        plan = release.plan(target, args.file)
        if args.local:
            stored = str(release.copy_to_seed(module, target, args.file, plan))
        else:
            env = environments.selected[0]
            box = module.databox(target.box_name)
            assert box is not None
            location = providers_for(env).storage.location(box)
            if args.bucket:
                location = BoxLocation(args.endpoint or env.spec.storage.public_endpoint, args.bucket,
                                       location.prefix if location else "")
            if location is None:
                public = env.spec.storage.public_endpoint or "the store's address outside the cluster"
                raise UsageError(
                    f"environment '{env.name}' generates the bucket of box '{box.name}': give it with --bucket "
                    f"(kubectl -n {module.namespace} get configmap box-{box.name} -o jsonpath='{{.data.BUCKET_NAME}}') "
                    f"and --endpoint ({public}); the claim's keys are in Secret box-{box.name} "
                    "(export them as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
                )
            stored = release.upload(location, args.file, plan)
        manifest = release.rewrite_model_path(target, plan) if plan.changed else None
    except (release.ReleaseError, OSError) as exc:
        print(f"mlcc: model push: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"stored {stored}")
    if manifest is None:
        print(f"modelPath of {target.component.name} already is {plan.model_path}: nothing to commit")
    else:
        print(f"modelPath of {target.component.name}: {target.model_path} -> {plan.model_path} in {manifest}")
        print("commit it: the pods roll to this version; `git revert` rolls them back")
    return EXIT_OK
