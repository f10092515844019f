/** Prometheus metrics for the daemon (prom-client: the standard client, exposition format and registry). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry's request budget as the registry edge reports it (src/import/rate-budget.ts). */
export interface BudgetReading {
  readonly registry: string;
  readonly remaining: number;
  readonly limit: number | undefined;
}

export class DaemonMetrics {
  readonly registry = new Registry();
  private budgets: () => readonly BudgetReading[] = () => [];
  /** Read at every scrape: only registries whose budget is known (configured, or stated by their headers). */
  readonly budgetRemaining = new Gauge({
    name: 'imagestreams_registry_budget_remaining',
    help: 'Requests the registry budget still allows now (registries.rateLimits and the ratelimit-remaining header, less requests in flight).',
    labelNames: ['registry'] as const,
    registers: [this.registry],
    collect: () => {
      this.budgetRemaining.reset();
      this.budgetLimit.reset();
      for (const b of this.budgets()) {
        this.budgetRemaining.set({ registry: b.registry }, b.remaining);
        if (b.limit !== undefined) this.budgetLimit.set({ registry: b.registry }, b.limit);
      }
    },
  });
  readonly budgetLimit = new Gauge({
    name: 'imagestreams_registry_budget_limit',
    help: 'The registry budget per window (the smaller of registries.rateLimits and the ratelimit-limit header).',
    labelNames: ['registry'] as const,
    registers: [this.registry],
  });
  readonly passes = new Counter({
    name: 'imagestreams_passes_total',
    help: 'Reconcile passes, by result: success, partial (some imports or files failed), failure.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly passDuration = new Histogram({
    name: 'imagestreams_pass_duration_seconds',
    help: 'Duration of a reconcile pass.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly imports = new Counter({
    name: 'imagestreams_imports_total',
    help: 'Tag imports, by registry and result.',
    labelNames: ['registry', 'result'] as const,
    registers: [this.registry],
  });
  readonly registryRequests = new Counter({
    name: 'imagestreams_registry_requests_total',
    help: 'HTTP requests to registries, by method and status.',
    labelNames: ['method', 'status'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'imagestreams_registry_rate_limited_total',
    help: 'Registry answers asking to slow down (429, or 503 with Retry-After).',
    registers: [this.registry],
  });
  readonly commits = new Counter({ name: 'imagestreams_commits_total', help: 'Commits made.', registers: [this.registry] });
  readonly publishes = new Counter({
    name: 'imagestreams_publish_total',
    help: 'What publishing did per pass, by publisher and outcome (pull requests: opened, updated, unchanged, closed, hands-off, nothing, failed).',
    labelNames: ['publisher', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly pushRetries = new Counter({
    name: 'imagestreams_push_retries_total',
    help: 'Pushes retried after a rejection.',
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: 'imagestreams_last_successful_pass_timestamp_seconds',
    help: 'When the last pass succeeded (Unix time).',
    registers: [this.registry],
  });
  readonly pendingWork = new Gauge({
    name: 'imagestreams_pending_work',
    help: 'Accepted notifications and webhooks not yet landed by a pass.',
    registers: [this.registry],
  });
  readonly ready = new Gauge({
    name: 'imagestreams_ready',
    help: '1 when the daemon is ready (the last pass landed), 0 otherwise.',
    registers: [this.registry],
  });
  readonly notifications = new Counter({
    name: 'imagestreams_notifications_total',
    help: 'Webhook deliveries, by hook and result.',
    labelNames: ['hook', 'result'] as const,
    registers: [this.registry],
  });

  /** Where the budget gauges read from at each scrape (the registry importer's `budgets`). */
  watchBudgets(source: () => readonly BudgetReading[]): void {
    this.budgets = source;
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'imagestreams_process_' });
  }
}
