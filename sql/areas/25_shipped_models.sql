--------------------------------------------------------------------------
-- Shipped models
--------------------------------------------------------------------------

CREATE TYPE sales_stage AS ENUM (
	'lead_generation', 'initial_contact', 'needs_analysis', 'proposal',
	'negotiation', 'closed_won', 'closed_lost');
CREATE TYPE lifecycle_stage AS ENUM ('prospect', 'new', 'loyal', 'churned');
CREATE TYPE contract_status AS ENUM (
	'draft', 'pending_approval', 'signed', 'active', 'expired', 'renewed', 'terminated');

INSERT INTO model (model, kind, label_en, label_zh, origin) VALUES
	('crm_sales.sales_stage', 'pipeline', 'Sales pipeline', '销售漏斗', 'extension'),
	('crm_sales.lifecycle_stage', 'lifecycle', 'Customer lifecycle', '客户生命周期', 'extension'),
	('crm_sales.contract_status', 'contract', 'Contract status', '合同状态', 'extension');

INSERT INTO stage (model, stage, position, category, probability, label_en, label_zh, origin) VALUES
	('crm_sales.sales_stage', 'lead_generation', 1, 'open', 0.10, 'Lead generation', '潜在客户挖掘', 'extension'),
	('crm_sales.sales_stage', 'initial_contact', 2, 'open', 0.20, 'Initial contact', '初步接触', 'extension'),
	('crm_sales.sales_stage', 'needs_analysis', 3, 'open', 0.40, 'Needs analysis', '需求分析', 'extension'),
	('crm_sales.sales_stage', 'proposal', 4, 'open', 0.60, 'Proposal', '方案展示', 'extension'),
	('crm_sales.sales_stage', 'negotiation', 5, 'open', 0.80, 'Negotiation', '谈判与报价', 'extension'),
	('crm_sales.sales_stage', 'closed_won', 6, 'won', 1.00, 'Closed won', '成交与跟进', 'extension'),
	('crm_sales.sales_stage', 'closed_lost', 7, 'lost', 0.00, 'Closed lost', '丢单', 'extension'),
	('crm_sales.lifecycle_stage', 'prospect', 1, 'open', NULL, 'Prospect', '潜在客户', 'extension'),
	('crm_sales.lifecycle_stage', 'new', 2, 'won', NULL, 'New customer', '新客户', 'extension'),
	('crm_sales.lifecycle_stage', 'loyal', 3, 'won', NULL, 'Loyal customer', '忠诚客户', 'extension'),
	('crm_sales.lifecycle_stage', 'churned', 4, 'lost', NULL, 'Churned customer', '流失客户', 'extension'),
	('crm_sales.contract_status', 'draft', 1, 'open', 0.20, 'Draft', '草稿', 'extension'),
	('crm_sales.contract_status', 'pending_approval', 2, 'open', 0.50, 'Pending approval', '待审批', 'extension'),
	('crm_sales.contract_status', 'signed', 3, 'won', 1.00, 'Signed', '已签署', 'extension'),
	('crm_sales.contract_status', 'active', 4, 'won', 1.00, 'Active', '生效中', 'extension'),
	('crm_sales.contract_status', 'expired', 5, 'lost', 0.00, 'Expired', '已到期', 'extension'),
	('crm_sales.contract_status', 'renewed', 6, 'won', 1.00, 'Renewed', '已续约', 'extension'),
	('crm_sales.contract_status', 'terminated', 7, 'lost', 0.00, 'Terminated', '已终止', 'extension');

-- sales_stage: created as a lead; forward one stage or skipping ahead (to
-- closed_won too); any open stage -> closed_lost; closed_lost -> lead_generation.
INSERT INTO transition (model, from_stage, to_stage, origin)
SELECT 'crm_sales.sales_stage', f.stage, t.stage, 'extension'
  FROM stage f JOIN stage t ON t.model = f.model
 WHERE f.model = 'crm_sales.sales_stage'::regtype
   AND f.category = 'open'
   AND ((t.category <> 'lost' AND t.position > f.position) OR t.category = 'lost');
INSERT INTO transition (model, from_stage, to_stage, origin) VALUES
	('crm_sales.sales_stage', NULL, 'lead_generation', 'extension'),
	('crm_sales.sales_stage', 'closed_lost', 'lead_generation', 'extension'),
	-- lifecycle: created as prospect or new; win-back churned -> new
	('crm_sales.lifecycle_stage', NULL, 'prospect', 'extension'),
	('crm_sales.lifecycle_stage', NULL, 'new', 'extension'),
	('crm_sales.lifecycle_stage', 'prospect', 'new', 'extension'),
	('crm_sales.lifecycle_stage', 'new', 'loyal', 'extension'),
	('crm_sales.lifecycle_stage', 'new', 'churned', 'extension'),
	('crm_sales.lifecycle_stage', 'loyal', 'churned', 'extension'),
	('crm_sales.lifecycle_stage', 'churned', 'new', 'extension'),
	-- contracts: see README "contract_status"
	('crm_sales.contract_status', NULL, 'draft', 'extension'),
	('crm_sales.contract_status', 'draft', 'pending_approval', 'extension'),
	('crm_sales.contract_status', 'draft', 'terminated', 'extension'),
	('crm_sales.contract_status', 'pending_approval', 'draft', 'extension'),
	('crm_sales.contract_status', 'pending_approval', 'signed', 'extension'),
	('crm_sales.contract_status', 'pending_approval', 'terminated', 'extension'),
	('crm_sales.contract_status', 'signed', 'active', 'extension'),
	('crm_sales.contract_status', 'signed', 'terminated', 'extension'),
	('crm_sales.contract_status', 'active', 'expired', 'extension'),
	('crm_sales.contract_status', 'active', 'renewed', 'extension'),
	('crm_sales.contract_status', 'active', 'terminated', 'extension'),
	('crm_sales.contract_status', 'expired', 'renewed', 'extension'),
	('crm_sales.contract_status', 'renewed', 'active', 'extension'),
	('crm_sales.contract_status', 'renewed', 'terminated', 'extension');

-- A readable view of the allowed moves, with labels.
CREATE VIEW transitions AS
SELECT t.model, t.from_stage, fs.label_en AS from_label_en, fs.label_zh AS from_label_zh,
	   t.to_stage, ts.label_en AS to_label_en, ts.label_zh AS to_label_zh,
	   t.required_columns
  FROM transition t
  LEFT JOIN stage fs ON fs.model = t.model AND fs.stage = t.from_stage
  JOIN stage ts ON ts.model = t.model AND ts.stage = t.to_stage
 WHERE t.allowed;
GRANT SELECT ON transitions TO PUBLIC;

