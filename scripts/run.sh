#!/usr/bin/env bash
# The main job. Until the chat exists, show what the CLI answers for a typical case.
set -euo pipefail
beian=.venv/bin/beian
today=$(TZ=Asia/Shanghai date +%F)
echo "== beian: the interview chat is not built yet; here is what the CLI answers =="
echo
echo "\$ beian route --subject enterprise --maintenance local --server elsewhere --server-city 杭州"
$beian route --subject enterprise --maintenance local --server elsewhere --server-city 杭州
echo
echo "\$ beian deadline filing --from $today"
$beian deadline filing --from "$today"
echo
echo "\$ beian materials --subject enterprise"
$beian materials --subject enterprise
echo
$beian --help
