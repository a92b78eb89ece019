package clarifaiotel

import "testing"

func TestMetricName(t *testing.T) {
	for in, want := range map[string]string{
		"CONN_THROTTLED": "CONN_THROTTLED",
		"CODE_123456":    "UNKNOWN",
		"FAILURE":        "FAILURE",
	} {
		if got := metricName(in); got != want {
			t.Errorf("metricName(%q) = %q, want %q", in, got, want)
		}
	}
}
