// Package charts holds the Helm chart of lakesoul-flight (charts/lakesoul-flight)
// and the tests that keep it honest: the chart lints and renders with its
// default and production values, the rendered objects keep the promises the
// chart's README makes (probes, resources, credentials only from Secrets,
// the compactor and the disruption budget), the Grafana dashboard queries
// only metrics the code exports, and the README documents every value.
package charts
