"""Routing: category × place → department, from the city configuration, with the reasons for each decision.

Order of precedence: (1) the city's explicit rules, first match wins; (2) 属地 + 行业: a department whose ``types``
include the category's department type and whose ``street`` is where the case is; (3) the department of that type
for the whole district; (4) with no category, the street office (街道办) of the place; (5) the fallback desk.
"""

from __future__ import annotations

from hotline.case import Case, DepartmentChoice
from hotline.city import CityConfig, Department, RoutingRule


class Router:
    def __init__(self, city: CityConfig):
        self.city = city

    def _rule_matches(self, rule: RoutingRule, case: Case) -> bool:
        cat, place = case.category, case.location
        checks = [
            (rule.department_type, cat.department_type if cat else None),
            (rule.street, place.street if place else None),
            (rule.district, place.district if place else None),
        ]
        if any(want is not None and want != have for want, have in checks):
            return False
        if rule.category_prefix is not None and not (cat and cat.code.startswith(rule.category_prefix)):
            return False
        return True

    def _by_type(self, dept_type: str, street: str | None) -> tuple[Department | None, bool]:
        typed = [d for d in self.city.departments if dept_type in d.types]
        local = [d for d in typed if street and d.street == street]
        if local:
            return local[0], True
        area_wide = [d for d in typed if d.street is None]
        return (area_wide[0] if area_wide else None), False

    def route(self, case: Case) -> DepartmentChoice:
        """Choose the department for ``case`` and say why."""
        cat, place = case.category, case.location
        street = place.street if place and place.in_jurisdiction else None
        cat_conf = cat.confidence if cat else 0.0
        place_note = f"位于{street}" if street else "地点未定位到本区街道"

        for rule in self.city.routing.rules:
            if self._rule_matches(rule, case):
                dept = self.city.department(rule.department)
                reasons = [rule.reason or f"路由规则 → {dept.name}"]
                return DepartmentChoice(dept.id, dept.name, round(cat_conf, 3), reasons)

        if cat and cat.department_type:
            dept, local = self._by_type(cat.department_type, street)
            if dept is not None:
                reasons = [f"{cat.name} → {cat.department_type}（行业）"]
                reasons.append(f"{place_note} → {dept.name}（属地）" if local else f"{place_note}；由区级{dept.name}处理")
                return DepartmentChoice(dept.id, dept.name, round(cat_conf, 3), reasons)

        if street:
            office = next((d for d in self.city.departments if d.street == street and "街道办" in d.types), None)
            if office is not None:
                why = "类别未能确定" if cat is None else f"“{cat.department_type}”无对应部门"
                return DepartmentChoice(office.id, office.name, 0.3, [f"{why}；{place_note} → {office.name}（属地兜底）"])

        desk = self.city.department(self.city.routing.fallback)
        return DepartmentChoice(desk.id, desk.name, 0.0, [f"无法自动确定责任部门 → {desk.name}（人工分拨）"])
