// Package clarifaiauth authenticates gRPC calls to the Clarifai API.
package clarifaiauth
