// Every user-facing string, Chinese first, English second. t('key', {n: 3}) fills {n}.
const STRINGS = {
  zh: {
    appName: '巡查', navCapture: '上报', navCases: '我的案件', langSwitch: 'EN', langSwitchLabel: 'EN English',
    username: '用户名', password: '密码', login: '登录', loggingIn: '正在登录…',
    loginNeedsNetwork: '首次登录需要联网。', loginFailed: '登录失败：{reason}',
    signedInAs: '{name}（{role}）', logout: '退出登录',
    logoutBlocked: '还有 {n} 件未同步的案件，同步完成后才能退出，否则会丢失。',
    roleInspector: '巡查员', roleLiaison: '联络员', roleOffice: '创卫办', roleAdmin: '管理员',
    photos: '照片', addPhotos: '拍照或选择照片', removePhoto: '删除第 {n} 张照片',
    photoNotImage: '“{name}”不是 JPEG、PNG、WebP 或 HEIC 图片', photoTooBig: '“{name}”超过 {mb} MB',
    tooManyPhotos: '每个案件最多 {n} 张照片', photoNeeded: '请至少拍一张照片',
    category: '问题类型', categorySearch: '搜索问题类型（汉字或拼音首字母）', chooseCategory: '请选择问题类型',
    routedTo: '由 {unit} 负责', routedToZone: '由 {unit} 负责（{zone}）', deadline: '时限 {d}',
    hours: '{n} 小时', workdays: '{n} 个工作日', noCatalog: '还没有问题类型目录，请联网后刷新。',
    description: '问题描述', descriptionHint: '可选：地点特征、问题细节',
    location: '位置', locating: '正在定位…', locationFix: '已定位，精度约 {m} 米',
    locationFixRefining: '精度约 {m} 米，继续提高中…', locationNone: '无法获得定位：{reason}',
    locationManual: '手动输入位置', latitude: '纬度', longitude: '经度', address: '地址描述',
    locationRequired: '需要位置：等待定位，或手动输入纬度和经度', retryLocation: '重新定位',
    covert: '暗访', covertHint: '暗访案件对责任单位不显示上报人',
    submit: '上报', saving: '正在保存…', saved: '已保存，编号将在同步后生成。',
    saveFailed: '保存失败：{reason}',
    outboxTitle: '待同步', badge: '待同步 {n}', syncNow: '立即同步', syncing: '正在同步…',
    stateQueued: '排队中', stateUploading: '上传中 {done}/{total} 张照片', stateSynced: '已同步',
    stateFailed: '失败', syncedAs: '编号 {number}，{unit}', retryIn: '将自动重试（{reason}）',
    deleteItem: '删除此案件', confirmDelete: '确定删除这个未同步的案件？照片也会删除。',
    emptyOutbox: '没有待同步的案件。', storageUse: '本机已用存储 {used}，可用 {quota}',
    persisted: '存储已设为持久，不会被浏览器自动清除。',
    notPersisted: '浏览器可能清除本机数据：请把巡查添加到主屏幕，并尽快同步。',
    oldItems: '有 {n} 件案件超过 3 天未同步！请尽快联网同步。',
    offline: '离线：案件会保存在手机上，联网后自动同步。', sessionExpired: '登录已失效，请重新登录后继续同步。',
    casesTitle: '我的案件', casesEmpty: '还没有已同步的案件。', casesOffline: '离线显示上次同步的数据（{at}）',
    due: '期限 {at}', refresh: '刷新',
    statusSubmitted: '待分派', statusDispatched: '已派遣', statusAccepted: '处置中', statusResolved: '待核查',
    statusClosed: '已结案', statusRejected: '不予立案',
    updateReady: '有新版本可用', updateNow: '更新',
    untitled: '未命名', justNow: '刚刚',
    navInbox: '待办', navTriage: '分派', navReview: '核查',
    inboxTitle: '本单位待办', triageTitle: '待分派（含转办申请、群众投诉）', reviewTitle: '待核查',
    listEmpty: '没有案件。', listOffline: '离线显示上次同步的数据（{at}）',
    timeLeft: '剩余 {d}', overdueBy: '已超期 {d}', durHours: '{n} 小时', durDays: '{n} 天',
    openMap: '在地图中打开', caseTitle: '案件 {number}', history: '处理记录', beforePhotos: '现场照片',
    afterPhotos: '整改后照片', verifyPhotos: '核查照片', suggestion: '建议：{unit}',
    sourceInspector: '巡查', sourcePublic: '群众投诉', sourceOpen311: '热线/外部系统', sourceOffice: '创卫办',
    actAccept: '接收', actResolve: '处置完成', actRequestTransfer: '申请转办', actExtend: '申请延期',
    actDispatch: '派遣', actReject: '不予立案', actVerify: '核查通过，结案', actReturn: '退回返工',
    actGrantExtension: '批准延期', actReopen: '重新打开',
    note: '说明', reasonNeeded: '请填写理由', resolveNote: '处置说明', newDueAt: '新期限',
    unit: '责任单位', markDuplicate: '标为重复：{number}（{m} 米）', duplicateOf: '重复的原案件',
    noDuplicate: '不是重复', queued: '已提交，{label}（待同步）', pendingSync: '待同步',
    extensionAsked: '申请延期至 {at}：{note}', reworkCount: '返工 {n} 次', flags: '提示',
    eventCreate: '上报', eventDispatch: '派遣', eventAccept: '接收', eventResolve: '处置', eventVerify: '结案',
    eventReturn: '退回', eventRequestTransfer: '申请转办', eventReject: '不予立案', eventExtend: '申请延期',
    eventGrantExtension: '批准延期', eventReopen: '重新打开', system: '系统',
    newItems: '{n} 条新变化',
    cooperatingUnits: '配合单位', zonesTitle: '区域规则（区域内改由其他单位牵头）', zoneCode: '区域代码', zoneName: '区域名称', priority: '优先级', saveZone: '保存区域',
    navAdmin: '管理', adminTitle: '人员与目录管理', accounts: '账号', displayName: '姓名', role: '角色', lastSync: '最近同步',
    actions: '操作', deactivate: '停用', activate: '启用', resetPassword: '重置密码', revokeTokens: '注销登录（手机丢失）',
    createAccount: '新建账号', newPassword: '{user} 的新密码：{password}（只显示一次）', liaisonRoster: '导出联络员名单',
    categoriesTitle: '问题类型：期限与责任单位', deadlineValue: '期限', deadlineKind: '期限单位', hoursUnit: '小时',
    workdaysUnit: '工作日', autoDispatch: '自动派遣', save: '保存', saved2: '已保存，手机会自动更新目录', auditTitle: '操作记录',
    navGallery: '证据', navMap: '地图', navEvaluation: '考评', all: '全部', filters: '筛选', action: '专项行动',
    statusLabel: '状态', sourceLabel: '来源', flagGps: 'GPS 不符', flagTime: '时间不符', flagRecurrence: '反复发生',
    fromDate: '起始日期', toDate: '截止日期', overdueOnly: '只看超期', evidencePack: '证据包', galleryTitle: '证据照片',
    loadMore: '加载更多', shown: '显示 {n} 个案件', size: '尺寸', device: '设备', takenAt: '拍摄时间', viewer: '照片查看',
    close: '关闭', original: '原图', deviceFix: '设备定位', noFlags: '无异常提示', openCase: '打开案件',
    keyboardHint: '← → 切换，Esc 关闭', mapTitle: '案件地图',
    stagePlanning: '制定方案阶段（4–5月）', stagePush: '集中攻坚阶段（5–9月）', stageEvaluation: '综合考评阶段（10–12月）',
    wholeYear: '全年', scoreChart: '各单位得分', trendChart: '每周发现与结案', found: '发现', closedLabel: '结案',
    col_rank: '排名', col_unit: '单位', col_assigned: '派遣', col_closed: '结案', col_closed_on_time: '按期处置',
    col_open_overdue: '超期未结', col_returned: '返工', col_extended: '延期', col_closure_rate: '处置率',
    col_on_time_rate: '按期处置率', col_rework_rate: '返工率', col_overdue_rate: '超期率', col_extension_rate: '延期率',
    col_median_hours_to_resolve: '处置中位时长(时)', col_score: '得分', notRanked: '不排名',
    evaluationTitle: '单位考评', period: '考评期 {from} 至 {to}', minCases: '案件少于 {n} 件的单位不排名',
    exportXlsx: '导出 Excel', bulletin: '生成通报', unitRanking: '单位排名', byAction: '七大专项',
    bulletinIssuer: '阳和工业新区创建国家卫生城市指挥部办公室', bulletinTitle: '创卫工作通报（{from} 至 {to}）',
    printedAt: '生成于 {at}', summary: '总体情况',
    bulletinSummary: '本期共派遣案件 {assigned} 件，已结案 {closed} 件，处置率 {closure}，按期处置率 {onTime}；目前超期未结 {overdue} 件，返工 {returned} 件。',
    worstOverdue: '超期最久的案件', covertFindings: '暗访发现', covertCount: '本期暗访发现问题 {n} 件：', none: '无', print: '打印 / 存为 PDF',
    possibleDuplicates: '附近 100 米内的同类未结案件（可能重复）',
    publicTitle: '群众投诉：城市卫生问题随手拍', publicIntro: '拍下问题，选择类型，说明位置。无需登录。',
    contactName: '称呼（可选）', contactPhone: '联系电话（可选，仅工作人员可见）', publicSubmit: '提交投诉',
    publicDone: '已受理。编号 {number}，查询码 {receipt}。请保存查询码以查看进度。', publicStatusLink: '查看处理进度',
    publicStatusTitle: '投诉 {number} 的处理进度', publicNotFound: '没有找到这个编号，或查询码不对。',
    handledBy: '责任单位：{unit}', sending: '正在提交…',
  },
  en: {
    appName: 'Xuncha', navCapture: 'Report', navCases: 'My cases', langSwitch: '中文', langSwitchLabel: '中文',
    username: 'Username', password: 'Password', login: 'Sign in', loggingIn: 'Signing in…',
    loginNeedsNetwork: 'The first sign-in needs a connection.', loginFailed: 'Sign-in failed: {reason}',
    signedInAs: '{name} ({role})', logout: 'Sign out',
    logoutBlocked: '{n} case(s) are not synced yet. Sign out after they are, or they will be lost.',
    roleInspector: 'Inspector', roleLiaison: 'Liaison', roleOffice: 'Office', roleAdmin: 'Admin',
    photos: 'Photos', addPhotos: 'Take or choose photos', removePhoto: 'Remove photo {n}',
    photoNotImage: '“{name}” is not a JPEG, PNG, WebP or HEIC image', photoTooBig: '“{name}” is over {mb} MB',
    tooManyPhotos: 'At most {n} photos per case', photoNeeded: 'Take at least one photo',
    category: 'Problem type', categorySearch: 'Search problem types', chooseCategory: 'Choose a problem type',
    routedTo: 'Handled by {unit}', routedToZone: 'Handled by {unit} ({zone})', deadline: 'Due within {d}',
    hours: '{n} h', workdays: '{n} working days', noCatalog: 'No catalog yet: go online and reload.',
    description: 'Description', descriptionHint: 'Optional: landmarks, details',
    location: 'Location', locating: 'Locating…', locationFix: 'Located, accuracy about {m} m',
    locationFixRefining: 'Accuracy about {m} m, improving…', locationNone: 'No location: {reason}',
    locationManual: 'Enter location by hand', latitude: 'Latitude', longitude: 'Longitude', address: 'Address',
    locationRequired: 'A location is needed: wait for the fix or enter latitude and longitude',
    retryLocation: 'Locate again',
    covert: 'Covert', covertHint: 'Units do not see who reported a covert case',
    submit: 'Submit', saving: 'Saving…', saved: 'Saved. The case number comes after sync.',
    saveFailed: 'Could not save: {reason}',
    outboxTitle: 'Outbox', badge: 'Unsent {n}', syncNow: 'Sync now', syncing: 'Syncing…',
    stateQueued: 'Queued', stateUploading: 'Uploading {done}/{total} photos', stateSynced: 'Synced',
    stateFailed: 'Failed', syncedAs: 'No. {number}, {unit}', retryIn: 'Will retry ({reason})',
    deleteItem: 'Delete this case', confirmDelete: 'Delete this unsent case and its photos?',
    emptyOutbox: 'Nothing waiting to sync.', storageUse: 'Storage used {used} of {quota}',
    persisted: 'Storage is persistent.', notPersisted: 'The browser may clear local data: add Xuncha to the home screen and sync soon.',
    oldItems: '{n} case(s) unsent for more than 3 days! Sync as soon as you can.',
    offline: 'Offline: cases stay on the phone and sync when you are back online.',
    sessionExpired: 'Your sign-in expired. Sign in again to continue syncing.',
    casesTitle: 'My cases', casesEmpty: 'No synced cases yet.', casesOffline: 'Offline: showing data from {at}',
    due: 'Due {at}', refresh: 'Refresh',
    statusSubmitted: 'Awaiting dispatch', statusDispatched: 'Dispatched', statusAccepted: 'In progress',
    statusResolved: 'Awaiting check', statusClosed: 'Closed', statusRejected: 'Rejected',
    updateReady: 'A new version is ready', updateNow: 'Update',
    untitled: 'Untitled', justNow: 'just now',
    navInbox: 'To do', navTriage: 'Triage', navReview: 'Review',
    inboxTitle: 'My unit\'s cases', triageTitle: 'To dispatch (incl. transfers, complaints)', reviewTitle: 'To verify',
    listEmpty: 'No cases.', listOffline: 'Offline: showing data from {at}',
    timeLeft: '{d} left', overdueBy: 'Overdue by {d}', durHours: '{n} h', durDays: '{n} d',
    openMap: 'Open in maps', caseTitle: 'Case {number}', history: 'History', beforePhotos: 'Photos on site',
    afterPhotos: 'After the fix', verifyPhotos: 'Verification photos', suggestion: 'Suggested: {unit}',
    sourceInspector: 'Inspection', sourcePublic: 'Public complaint', sourceOpen311: 'Hotline / Open311', sourceOffice: 'Office',
    actAccept: 'Accept', actResolve: 'Mark fixed', actRequestTransfer: 'Not ours: transfer', actExtend: 'Ask for more time',
    actDispatch: 'Dispatch', actReject: 'Reject', actVerify: 'Verified: close', actReturn: 'Return for rework',
    actGrantExtension: 'Grant extension', actReopen: 'Reopen',
    note: 'Note', reasonNeeded: 'A reason is needed', resolveNote: 'What was done', newDueAt: 'New due date',
    unit: 'Unit', markDuplicate: 'Duplicate of {number} ({m} m)', duplicateOf: 'Duplicate of',
    noDuplicate: 'Not a duplicate', queued: 'Sent: {label} (waiting to sync)', pendingSync: 'waiting to sync',
    extensionAsked: 'Extension asked until {at}: {note}', reworkCount: 'Reworked {n}×', flags: 'Flags',
    eventCreate: 'Reported', eventDispatch: 'Dispatched', eventAccept: 'Accepted', eventResolve: 'Fixed', eventVerify: 'Closed',
    eventReturn: 'Returned', eventRequestTransfer: 'Transfer asked', eventReject: 'Rejected', eventExtend: 'Extension asked',
    eventGrantExtension: 'Extension granted', eventReopen: 'Reopened', system: 'System',
    newItems: '{n} new changes',
    cooperatingUnits: 'Cooperating units', zonesTitle: 'Zones (another unit leads inside)', zoneCode: 'Zone code', zoneName: 'Zone name', priority: 'Priority', saveZone: 'Save zone',
    navAdmin: 'Admin', adminTitle: 'People and catalog', accounts: 'Accounts', displayName: 'Name', role: 'Role', lastSync: 'Last sync',
    actions: 'Actions', deactivate: 'Deactivate', activate: 'Activate', resetPassword: 'Reset password', revokeTokens: 'Sign out (lost phone)',
    createAccount: 'Create account', newPassword: 'New password for {user}: {password} (shown once)', liaisonRoster: 'Export liaison roster',
    categoriesTitle: 'Problem types: deadlines and units', deadlineValue: 'Deadline', deadlineKind: 'Unit of time', hoursUnit: 'hours',
    workdaysUnit: 'working days', autoDispatch: 'Auto-dispatch', save: 'Save', saved2: 'Saved; phones refresh the catalog', auditTitle: 'Audit log',
    navGallery: 'Evidence', navMap: 'Map', navEvaluation: 'Evaluation', all: 'All', filters: 'Filters', action: 'Action',
    statusLabel: 'Status', sourceLabel: 'Source', flagGps: 'GPS mismatch', flagTime: 'Time mismatch', flagRecurrence: 'Recurring',
    fromDate: 'From', toDate: 'To', overdueOnly: 'Overdue only', evidencePack: 'Evidence pack', galleryTitle: 'Evidence',
    loadMore: 'Load more', shown: '{n} cases shown', size: 'Size', device: 'Device', takenAt: 'Taken', viewer: 'Photo viewer',
    close: 'Close', original: 'Original', deviceFix: 'Device fix', noFlags: 'No integrity flags', openCase: 'Open case',
    keyboardHint: '← → to move, Esc to close', mapTitle: 'Case map',
    stagePlanning: 'Planning (Apr–May)', stagePush: 'Push (May–Sep)', stageEvaluation: 'Evaluation (Oct–Dec)',
    wholeYear: 'Whole year', scoreChart: 'Score by unit', trendChart: 'Found vs closed per week', found: 'Found', closedLabel: 'Closed',
    col_rank: 'Rank', col_unit: 'Unit', col_assigned: 'Assigned', col_closed: 'Closed', col_closed_on_time: 'On time',
    col_open_overdue: 'Overdue', col_returned: 'Returned', col_extended: 'Extended', col_closure_rate: 'Closure',
    col_on_time_rate: 'On-time', col_rework_rate: 'Rework', col_overdue_rate: 'Overdue rate', col_extension_rate: 'Extension',
    col_median_hours_to_resolve: 'Median h', col_score: 'Score', notRanked: 'not ranked',
    evaluationTitle: 'Unit evaluation', period: 'Period {from} to {to}', minCases: 'Units with fewer than {n} cases are not ranked',
    exportXlsx: 'Export Excel', bulletin: 'Bulletin', unitRanking: 'Ranking', byAction: 'Seven actions',
    bulletinIssuer: 'Yanghe National Health City campaign office', bulletinTitle: 'Bulletin ({from} to {to})',
    printedAt: 'Made {at}', summary: 'Summary',
    bulletinSummary: '{assigned} cases dispatched, {closed} closed; closure {closure}, on time {onTime}; {overdue} overdue now, {returned} returned.',
    worstOverdue: 'Longest overdue', covertFindings: 'Covert inspections', covertCount: '{n} problems found by covert inspection:', none: 'None', print: 'Print / save as PDF',
    possibleDuplicates: 'Open cases of this kind within 100 m (possible duplicates)',
    publicTitle: 'Report a city hygiene problem', publicIntro: 'Take a photo, pick the problem type, say where. No sign-in.',
    contactName: 'Name (optional)', contactPhone: 'Phone (optional, staff only)', publicSubmit: 'Send report',
    publicDone: 'Received. No. {number}, code {receipt}. Keep the code to follow progress.', publicStatusLink: 'See progress',
    publicStatusTitle: 'Progress of report {number}', publicNotFound: 'No report with this number and code.',
    handledBy: 'Handled by: {unit}', sending: 'Sending…',
  },
};

let lang = (typeof localStorage !== 'undefined' && localStorage.getItem('xuncha.lang')) || 'zh';

export function t(key, vars = {}) {
  const text = STRINGS[lang][key] ?? STRINGS.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

export function currentLang() { return lang; }

export function setLang(next) {
  lang = next in STRINGS ? next : 'zh';
  localStorage.setItem('xuncha.lang', lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

export function statusLabel(status) {
  return t('status' + status.charAt(0).toUpperCase() + status.slice(1));
}

export function roleLabel(role) {
  return t('role' + role.charAt(0).toUpperCase() + role.slice(1));
}

export function formatTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB',
    { timeZone: 'Asia/Shanghai', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function formatBytes(n) {
  if (!Number.isFinite(n)) return '?';
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

// 'request_transfer' → 'actRequestTransfer'
export function camelKey(prefix, name) {
  return prefix + name.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

export function duration(ms) {
  const hours = Math.round(Math.abs(ms) / 3600000);
  return hours >= 48 ? t('durDays', { n: Math.round(hours / 24) }) : t('durHours', { n: hours });
}
