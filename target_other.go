//go:build !unix

package clarifaiauth

const nonBlock = 0
