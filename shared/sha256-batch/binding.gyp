{
  "targets": [
    {
      "target_name": "sha256_batch",
      "sources": ["native/sha256_batch.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror"]
    }
  ]
}
