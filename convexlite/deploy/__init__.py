"""The push protocol of `npx convex deploy`/`dev` (spec/functions.md §1) and the module store.

`PushService` answers the `deploy2/*` endpoints without HTTP; the analysis of
pushed modules is an injected `Analyzer`, and activation goes through an
injected `DeploymentTarget` (the engine), so this package knows neither V8
nor the function registry.
"""
