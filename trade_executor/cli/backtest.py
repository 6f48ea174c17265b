"""`start --execution-type=backtest` and its alias `backtest`."""

from __future__ import annotations

from pathlib import Path

import typer

from trade_executor.cli.common import reports_errors, setup_logging
from trade_executor.cli.live_options import (
    Approval,
    ApprovalType,
    ConfirmationBlocks,
    ConfirmationTimeout,
    CycleOffset,
    CycleWatchdog,
    Factory,
    FromBlock,
    JsonRpcUrl,
    KeystoreFile,
    KeystorePassword,
    MaxCycles,
    MaxDataDelay,
    MaxPriceDeviation,
    MinGasBalance,
    PrivateKey,
    Router,
    RpcOutageTolerance,
    RunSingleCycle,
    Simulate,
    TriggerCheck,
    TwapWindow,
    Unresolved,
    UnresolvedTrades,
    V3Factory,
    V3Quoter,
    V3SwapRouter,
)
from trade_executor.cli.monitoring_options import (
    DEFAULT_STATSD_PREFIX,
    DEFAULT_TELEGRAM_API_URL,
    DiscordWebhookUrl,
    LogFormat,
    LogFormatOption,
    LogstashServer,
    NotifyCycleSummaries,
    StatsdHost,
    StatsdPrefix,
    TelegramApiKey,
    TelegramApiUrl,
    TelegramChatId,
)
from trade_executor.cli.options import (
    ApiKey,
    BacktestEnd,
    BacktestStart,
    CachePath,
    CandleOverride,
    ExecutionType,
    FillModelOption,
    LogLevel,
    LogLevelOption,
    StateFile,
    StopLossOverride,
    StrategyFile,
)
from trade_executor.cli.report import CsvReport, HtmlReport, write_reports
from trade_executor.cli.webhook_options import (
    ExecutorId,
    HttpCorsOrigins,
    HttpEnabled,
    HttpHost,
    HttpPassword,
    HttpPort,
    HttpUsername,
    IconUrl,
    LongDescription,
    Name,
    ShortDescription,
)
from trade_executor.errors import ConfigurationError

ExecutionTypeOption = typer.Option(
    ...,
    "--execution-type",
    envvar="EXECUTION_TYPE",
    show_envvar=True,
    case_sensitive=False,
    help="backtest: simulate over historical data. uniswap_v2_hot_wallet (uniswap_v3_hot_wallet for a strategy on a Uniswap v3 exchange): trade live from a hot wallet. paper (or dummy): the live loop on the chain's pools, fills computed, nothing signed or sent.",
)


@reports_errors
def start(
    ctx: typer.Context,
    strategy_file: StrategyFile,
    execution_type: ExecutionType = ExecutionTypeOption,
    state_file: StateFile = None,
    cache_path: CachePath = Path("cache"),
    backtest_start: BacktestStart = None,
    backtest_end: BacktestEnd = None,
    backtest_candle_time_frame_override: CandleOverride = None,
    backtest_stop_loss_time_frame_override: StopLossOverride = None,
    fill_model: FillModelOption = None,
    trading_strategy_api_key: ApiKey = None,
    log_level: LogLevelOption = LogLevel.info,
    html_report: HtmlReport = None,
    csv_report: CsvReport = None,
    json_rpc_url: JsonRpcUrl = None,
    private_key: PrivateKey = None,
    keystore_file: KeystoreFile = None,
    keystore_password: KeystorePassword = None,
    uniswap_v2_router: Router = None,
    uniswap_v2_factory: Factory = None,
    uniswap_v3_factory: V3Factory = None,
    uniswap_v3_swap_router_02: V3SwapRouter = None,
    uniswap_v3_quoter_v2: V3Quoter = None,
    confirmation_block_count: ConfirmationBlocks = 1,
    confirmation_timeout: ConfirmationTimeout = 60.0,
    cycle_offset_minutes: CycleOffset = 0.0,
    max_data_delay_minutes: MaxDataDelay = None,
    max_price_deviation: MaxPriceDeviation = 0.03,
    twap_window_minutes: TwapWindow = None,
    rpc_outage_tolerance_seconds: RpcOutageTolerance = 300.0,
    cycle_watchdog_minutes: CycleWatchdog = None,
    position_trigger_check_minutes: TriggerCheck = 1.0,
    run_single_cycle: RunSingleCycle = False,
    max_cycles: MaxCycles = None,
    simulate: Simulate = False,
    min_gas_balance: MinGasBalance = 0.0,
    approval_type: Approval = ApprovalType.unchecked,
    unresolved_trades: Unresolved = UnresolvedTrades.rebroadcast,
    from_block: FromBlock = 0,
    discord_webhook_url: DiscordWebhookUrl = None,
    telegram_api_key: TelegramApiKey = None,
    telegram_chat_id: TelegramChatId = None,
    telegram_api_url: TelegramApiUrl = DEFAULT_TELEGRAM_API_URL,
    logstash_server: LogstashServer = None,
    statsd_host: StatsdHost = None,
    statsd_prefix: StatsdPrefix = DEFAULT_STATSD_PREFIX,
    log_format: LogFormatOption = LogFormat.human,
    notify_cycle_summaries: NotifyCycleSummaries = False,
    http_enabled: HttpEnabled = False,
    http_port: HttpPort = 3456,
    http_host: HttpHost = "127.0.0.1",
    http_username: HttpUsername = None,
    http_password: HttpPassword = None,
    http_cors_origins: HttpCorsOrigins = None,
    executor_id: ExecutorId = None,
    name: Name = None,
    short_description: ShortDescription = None,
    long_description: LongDescription = None,
    icon_url: IconUrl = None,
) -> None:
    """Run a strategy: a backtest over history, or live from a hot wallet on a chain."""
    if simulate:  # a dress rehearsal on a fork: its own wiring, never the live state's writer
        from trade_executor.cli.rehearsal import rehearse_start

        return rehearse_start(ctx.params)
    if execution_type.reads_chain:
        setup_logging(log_level.value, log_format=log_format.value, logstash_server=logstash_server)
        from trade_executor.cli.state_files import hold_writer_lock, live_state_file
        from trade_executor.state.ownership import PAPER

        paper = execution_type.is_paper
        state_file = live_state_file(state_file, strategy_file, PAPER if paper else "", ctx)
        hold_writer_lock(state_file, "start", ctx)  # before the webhook takes its port: a second start says why it cannot run
        from trade_executor.cli.live_wiring import build_live_trader
        from trade_executor.cli.monitoring_wiring import MonitoringSettings, build_monitoring_observers

        observers = build_monitoring_observers(MonitoringSettings(
            discord_webhook_url, telegram_api_key, telegram_chat_id, telegram_api_url, statsd_host, statsd_prefix, notify_cycle_summaries,
        ))

        from trade_executor.cli.webhook_wiring import WebhookSettings, live_webhook

        webhook_settings = WebhookSettings(
            http_enabled, http_host, http_port, http_username, http_password, http_cors_origins,
            executor_id, name, short_description, long_description, icon_url,
        )
        with live_webhook(webhook_settings, strategy_file) as webhook:
            trader = build_live_trader(
                strategy_file, state_file, json_rpc_url=json_rpc_url, private_key=private_key, router=uniswap_v2_router, factory=uniswap_v2_factory,
                keystore_file=keystore_file, keystore_password=keystore_password,
                confirmation_block_count=confirmation_block_count, confirmation_timeout=confirmation_timeout, cycle_offset_minutes=cycle_offset_minutes,
                max_data_delay_minutes=max_data_delay_minutes, position_trigger_check_minutes=position_trigger_check_minutes, run_single_cycle=run_single_cycle,
                max_cycles=max_cycles, min_gas_balance=min_gas_balance, approval_type=approval_type, unresolved_trades=unresolved_trades.value, from_block=from_block,
                max_price_deviation=max_price_deviation, twap_window_minutes=twap_window_minutes, rpc_outage_tolerance_seconds=rpc_outage_tolerance_seconds, cache_path=cache_path,
                cycle_watchdog_minutes=cycle_watchdog_minutes, observers=(*webhook.observers, *observers), control=webhook.control, paper=paper,
                execution_type=execution_type.value,
                uniswap_v3_factory=uniswap_v3_factory, uniswap_v3_swap_router_02=uniswap_v3_swap_router_02, uniswap_v3_quoter_v2=uniswap_v3_quoter_v2,
            )
            webhook.attach(trader)
            if paper:
                typer.echo(f"Paper trading {trader.strategy.strategy_id} on chain {trader.strategy.chain_id}'s pools: nothing is signed or sent; state in {trader.store.path}")
            else:
                typer.echo(f"Trading {trader.strategy.strategy_id} live from {trader.wallet.address}; state in {trader.store.path}")
            cycles = trader.run()
            typer.echo(f"Completed {cycles} cycle(s); state saved to {trader.store.path}")
        return
    if execution_type is not ExecutionType.backtest:
        raise ConfigurationError(f"EXECUTION_TYPE={execution_type.value} is not available: use backtest, uniswap_v2_hot_wallet or uniswap_v3_hot_wallet.")
    run_backtest_command(
        strategy_file, state_file, backtest_start, backtest_end, backtest_candle_time_frame_override,
        backtest_stop_loss_time_frame_override, fill_model, log_level, log_format=log_format.value,
        html_report=html_report, csv_report=csv_report, context=ctx,
    )


@reports_errors
def backtest(
    ctx: typer.Context,
    strategy_file: StrategyFile,
    state_file: StateFile = None,
    cache_path: CachePath = Path("cache"),
    backtest_start: BacktestStart = None,
    backtest_end: BacktestEnd = None,
    backtest_candle_time_frame_override: CandleOverride = None,
    backtest_stop_loss_time_frame_override: StopLossOverride = None,
    fill_model: FillModelOption = None,
    trading_strategy_api_key: ApiKey = None,
    log_level: LogLevelOption = LogLevel.info,
    html_report: HtmlReport = None,
    csv_report: CsvReport = None,
) -> None:
    """Backtest a strategy over historical data (the same as `start --execution-type=backtest`)."""
    run_backtest_command(
        strategy_file, state_file, backtest_start, backtest_end, backtest_candle_time_frame_override,
        backtest_stop_loss_time_frame_override, fill_model, log_level,
        html_report=html_report, csv_report=csv_report, context=ctx,
    )


def run_backtest_command(strategy_file, state_file, start, end, candle_override, stop_loss_override, fill_model, log_level, log_format=None, html_report=None, csv_report=None, context=None) -> None:
    setup_logging(log_level.value, log_format=log_format)
    from trade_executor.cli.backtest_options import backtest_options
    from trade_executor.cli.state_files import claim_backtest_state_file
    from trade_executor.market.candles import format_time_frame
    from trade_executor.reporting.summary import calculate_summary, format_summary_table
    from trade_executor.runner.backtest import BacktestRun, build_universe
    from trade_executor.strategy.context import ExecutionContext, ExecutionMode
    from trade_executor.strategy.module import load_strategy_module

    options = backtest_options(start, end, candle_override, stop_loss_override, fill_model)
    strategy = load_strategy_module(strategy_file)
    store = claim_backtest_state_file(state_file, strategy_file, context)  # never a live run's file, nor one another process writes
    universe = build_universe(strategy, options, ExecutionContext(ExecutionMode.backtesting, strategy.engine_version))
    run = BacktestRun(strategy, universe, options)
    gaps = universe.find_gaps()
    missing = sum(g.missing for found in gaps.values() for g in found)
    typer.echo(f"Strategy {strategy.strategy_id} ({strategy_file}), engine version {strategy.engine_version}")
    typer.echo(f"Data: {universe.describe()}; {missing} missing candles in {sum(len(v) for v in gaps.values())} gaps")
    typer.echo(
        f"Backtest: {len(run.timestamps):,} cycles of {format_time_frame(run.cycle_duration)} from {run.timestamps[0]} to {run.timestamps[-1]}, "
        f"stop-loss checks on {format_time_frame(universe.get_effective_stop_loss_time_frame())} candles"
    )
    typer.echo(f"Execution: {run.execution.describe()}")
    for warning in run.warnings:
        typer.secho(f"Warning: {warning}", fg=typer.colors.YELLOW, err=True)
    from trade_executor.reporting.progress import backtest_progress

    with backtest_progress(run.timestamps) as progress:
        result = run.run(progress)
    store.save(result.state)
    typer.echo("")
    typer.echo(format_summary_table(calculate_summary(result.state), result.warnings))
    typer.echo("")
    typer.echo(f"Ran {result.cycles:,} cycles in {result.loop_seconds:.2f} s; state saved to {store.path}")
    write_reports(result.state, run, html_report, csv_report)
