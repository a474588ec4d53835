#!/usr/bin/env bash
# selftest.sh: proves that every validator passes good input and fails bad input.
# For each validator V: `V samples/good` must exit 0, and `V samples/bad` must exit 1 and print
# every expected finding listed below (extended regular expressions, one per line).
# Ends with the line "N passed, M failed"; exit 0 only if nothing failed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$VALIDATE_DIR"

declare -A expect
expect[yaml.sh]='duplication of key "port"'
expect[hcl.sh]='broken.tf:9:1: python-hcl2 parse error
duplicate.tf:4: argument .name. set twice'
expect[fmt.sh]='unaligned.tf: not in terraform fmt layout'
expect[tf-schema.sh]='aws_db_instance.main: instance_type: unknown argument
aws_db_instance.main: timeouts.craete: unknown argument
aws_db_instance.main: instance_class: missing required argument
aws_lb_listener.http: default_action: .default_action. is a block
unknown resource type .aws_ecs_servce.
broken.tf:9: \(file\): cannot parse
module .naming.: enviroment: the module declares no variable .enviroment.
module .naming.: environment: missing required input
module .gone.: source: .\./modules/gone.: no folder
module\.naming\.prefx: the module has no output
var\.environmnet: no variable .environmnet. is declared
variable .tier.: secret: unknown argument'
expect[k8s.sh]="spec.template.spec: Additional properties are not allowed \('ports' was unexpected\)
policy/v1beta1
overlays/broken \(kubectl kustomize\)
overlays/dev \(rendered\): Deployment/api \(apps/v1\): spec: Additional properties are not allowed \('replica' was unexpected\)
TargetGroupBinding/web \(elbv2.k8s.aws/v1beta1\): spec: Additional properties are not allowed \('targetGroupNme' was unexpected\)
TargetGroupBinding/web \(elbv2.k8s.aws/v1beta1\): spec.targetType: 'pod' is not one of"
expect[compose.sh]="'port' was unexpected
depends on undefined service \"database\""
expect[ci.sh]='job "deploy-production" needs job "deploy-stagin" which does not exist
workflow schema\): Schema validation errors
atlantis.yaml \(atlantis repo config\): project .production.: unknown key .apply_requirement.
ApplicationSet/shop: .*maxUpdate must be integer'
expect[checkov.sh]='FAIL  CKV_AWS_16 
FAIL  CKV_AWS_17 
FAIL  CKV_K8S_43 
ERROR parse: samples/bad/terraform/broken.tf'

pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; printf '%s\n' "$2" | sed 's/^/     /'; fail=$((fail + 1)); }

for v in yaml.sh hcl.sh fmt.sh tf-schema.sh k8s.sh compose.sh ci.sh checkov.sh; do
  out="$(./"$v" samples/good 2>&1)"; rc=$?
  if [ "$rc" -eq 0 ]; then ok "$v samples/good -> exit 0 ($(tail -n1 <<< "$out"))"
  else ko "$v samples/good -> exit $rc, expected 0" "$out"; fi

  out="$(./"$v" samples/bad 2>&1)"; rc=$?
  missing=() n=0
  while IFS= read -r pattern; do
    n=$((n + 1))
    grep -Eq -- "$pattern" <<< "$out" || missing+=("$pattern")
  done <<< "${expect[$v]}"
  if [ "$rc" -eq 1 ] && [ "${#missing[@]}" -eq 0 ]; then
    ok "$v samples/bad  -> exit 1 with all $n expected findings ($(tail -n1 <<< "$out"))"
  else
    ko "$v samples/bad  -> exit $rc, expected 1; findings missing: ${missing[*]:-none}" "$out"
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
