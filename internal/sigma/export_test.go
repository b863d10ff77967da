package sigma

// Replicate is replicate, for the end-to-end benchmark of the external
// test package.
var Replicate = replicate
