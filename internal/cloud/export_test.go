package cloud

// TaskKind is taskKind, for the tests of package cloud_test.
var TaskKind = taskKind
