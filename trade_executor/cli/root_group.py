"""The root command group: a command imports pydantic only when it has an option value to coerce.

Typer 0.29 coerces option values through a pydantic ``TypeAdapter`` that it builds the first time
the option is parsed, and builds it even for an option that was not given (the value None, which
it then returns without using the adapter). Importing pydantic for that costs about 0.09 s, and
``--env-file`` and each command's ``--help`` are parsed on every run, so `hello` and `backtest
--help` paid it. Here each parameter's coercion is built when a value needs one: None (or () for a
repeatable option) is returned as typer returns it, anything else goes through typer's own
coercion, built then. Nothing else changes: the same options, help and values.
tests/unit/cli/test_startup_imports.py fails if pydantic comes back (a typer upgrade that renames
the attribute set below would show there).
"""

from __future__ import annotations

from typer.core import TyperGroup


class DeferredCoercion:
    """Typer's coercion of one parameter, built only when there is a value to coerce."""

    def coerce(self, value, param, ctx):
        if value is None:  # typer's RuntimeParam.coerce answers None before using its adapter
            return () if param.multiple or param.nargs == -1 else None
        param._runtime_param = None
        return param.get_runtime_param().coerce(value, param=param, ctx=ctx)


def defer_coercion(param) -> None:
    if getattr(param, "_runtime_param", False) is None:  # typer's lazily built coercion, not built yet
        param._runtime_param = DeferredCoercion()


class RootGroup(TyperGroup):
    """``typer.Typer(cls=RootGroup)``: the group typer builds, its and its commands' coercion deferred."""

    def __init__(self, **attrs) -> None:
        super().__init__(**attrs)
        for param in self.params:
            defer_coercion(param)
        for command in self.commands.values():
            for param in command.params:
                defer_coercion(param)

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        defer_coercion(option)
        return option

    def get_command(self, ctx, cmd_name):
        command = super().get_command(ctx, cmd_name)
        if command is not None and not command.context_settings.get("help_option_names"):
            defer_coercion(command.get_help_option(ctx))  # the names it would inherit from ctx
        return command
