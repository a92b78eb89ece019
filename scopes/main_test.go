package scopes

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Scopes of the test methods (Clarifai 12.4.0).
var (
	postInputsScopes = []string{"Annotations:Add", "Annotations:Get", "Apps:Get", "Concepts:Get",
		"Inputs:Add", "Inputs:Get", "Models:Get", "Predict", "Workflows:Get"}
	postModelOutputsScopes = []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}
)

const (
	postInputs       = "/clarifai.api.V2/PostInputs"
	postModelOutputs = "/clarifai.api.V2/PostModelOutputs"
)
