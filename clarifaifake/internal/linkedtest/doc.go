// Package linkedtest tests clarifaifake in a program that links generated
// Clarifai code (internal/clarifaitest, which stands for Clarifai's Go
// client): the server then serves protoregistry.GlobalFiles with the
// generated types. It has tests only.
package linkedtest
